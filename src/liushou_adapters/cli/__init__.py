"""The ``liushou`` command (click and rich).

Global options choose the store (``--store URL``, or ``LIUSHOU_STORE``), the
language (``--lang zh|en``) and the day the rules look at (``--on``, default
today: the only place liushou reads the clock). Exit status: 0 on success,
1 when checks find errors, 2 on bad input, with a one-line message naming what
to fix.

Each subcommand lives in a module of this package that adds itself to the
:func:`cli` group with ``@cli.command``; the modules are imported here.
"""

from __future__ import annotations

import importlib
import pkgutil

from liushou_adapters.cli._app import (
    DATE,
    DEFAULT_STORE,
    DEMO_ACTOR,
    DEMO_PURPOSE,
    EXAMPLE_FIELDS,
    BadInput,
    Settings,
    cli,
    main,
    tr,
)
from liushou_adapters.cli.demo import _audit_command

__all__ = [
    "DATE",
    "DEFAULT_STORE",
    "DEMO_ACTOR",
    "DEMO_PURPOSE",
    "EXAMPLE_FIELDS",
    "BadInput",
    "Settings",
    "_audit_command",
    "cli",
    "main",
    "tr",
]

# Every public module of the package is a subcommand (demo, audit, pair, ...).
for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")
