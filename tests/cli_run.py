"""Run the ``liushou`` command through its real entry point, in a subprocess.

Every CLI test uses :func:`run_cli`, so they all see the same environment: the
store, webhook and notification settings of the developer's shell are cleared
(a test names its own store), output is UTF-8 and the terminal is ``columns``
wide.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

#: Settings of the developer's shell that would change what a command does.
CLEARED = ("LIUSHOU_STORE", "LIUSHOU_WEBHOOK", "LIUSHOU_NOTIFY")


def run_cli(
    *args: str,
    cwd: Path,
    env: dict[str, str] | None = None,
    columns: int = 160,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """``python -m liushou_adapters.cli ARGS`` in ``cwd``; ``env`` adds variables."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(CLEARED)}
    environ.update({"COLUMNS": str(columns), "PYTHONIOENCODING": "utf-8", **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "liushou_adapters.cli", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        check=False,
    )
