"""What the benchmarks record about the machine and the libraries they ran with."""

from __future__ import annotations

import os
import platform
from importlib.metadata import version


def environment(*distributions: str) -> dict[str, str]:
    """Python, machine and the versions of ``distributions`` ("?" where one is missing)."""
    env = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "machine": platform.machine(),
        "system": platform.system(),
        "cpus": str(os.cpu_count()),
    }
    for dist in distributions:
        try:
            env[dist] = version(dist)
        except Exception:  # pragma: no cover - a missing distribution
            env[dist] = "?"
    return env
