"""liushou core: pure domain models and rules for left-behind children's care programmes.

Importing this package does no I/O; rules are functions of their inputs and a
date. Adapters (storage, notification, export, the command line) live in
``liushou_adapters``.
"""

from __future__ import annotations

import pluggy

__version__ = "0.1.0"

#: Marker for plugin hook implementations (project name ``liushou``).
hookimpl = pluggy.HookimplMarker("liushou")

__all__ = ["__version__", "hookimpl"]
