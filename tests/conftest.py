"""Shared test set-up: Hypothesis profiles.

Two profiles are registered:

- ``dev`` (the default on a developer's machine): few examples, quick feedback;
- ``ci`` (the default when ``CI`` is set): more examples, derandomised so that
  a CI run is reproducible, and no deadline (CI machines are slower and noisy).

``HYPOTHESIS_PROFILE=ci pytest`` (or ``=dev``) picks one explicitly. A test
that needs more or fewer examples says so with its own ``@settings``; those are
scaled from the profile's ``max_examples`` where it matters.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "dev",
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)

pytest_plugins = ["postgres_server"]
