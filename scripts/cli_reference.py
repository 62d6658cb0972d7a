#!/usr/bin/env python
"""Write ``docs/cli.md``, the reference of the ``liushou`` command, from the code.

Run after changing a command's options or help text::

    python scripts/cli_reference.py          # rewrite docs/cli.md
    python scripts/cli_reference.py --check  # exit 1 if docs/cli.md is out of date

``tests/test_cli_reference.py`` runs the check, so the page never drifts from the
commands: every subcommand of the ``liushou`` group appears with its ``--help``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import click

from liushou_adapters.cli import cli

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "cli.md"
WIDTH = 100

INTRO = """\
# Command-line reference

The `liushou` command is installed with the package (`pip install liushou`).
This page is generated from the code by `python scripts/cli_reference.py`; a test
fails when it is out of date. Every command prints the same text with `--help`.

Global options (`--store`, `--lang`, `--on`) come before the subcommand:
`liushou --lang en --on 2026-11-29 check`. The store is chosen by URL
(`sqlite:///path.db` by default, or `postgresql://...`; also the environment
variable `LIUSHOU_STORE`).

Exit status: 0 on success, 1 when checks find errors, 2 on bad input (with a
one-line message that names what to fix).
"""


def _context(command: click.Command, name: str, parent: click.Context | None) -> click.Context:
    """The context ``--help`` would run in (the command's own settings, a fixed width)."""
    settings = {**command.context_settings, "terminal_width": WIDTH, "max_content_width": WIDTH}
    return click.Context(command, info_name=name, parent=parent, **settings)


def render() -> str:
    """The Markdown text of the reference page."""
    root = _context(cli, "liushou", None)
    parts = [INTRO, "## liushou\n", "```text\n" + cli.get_help(root) + "\n```\n"]
    for name in sorted(cli.commands):
        parts += _sections(cli.commands[name], [name], root)
    return "\n".join(parts)


def _sections(command: click.Command, path: list[str], parent: click.Context) -> list[str]:
    """The section of ``command`` and, for a group, of each of its subcommands."""
    ctx = _context(command, path[-1], parent)
    out = [f"## liushou {' '.join(path)}\n", "```text\n" + command.get_help(ctx) + "\n```\n"]
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            out += _sections(command.commands[name], [*path, name], ctx)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/cli_reference.py", description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if the page is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not PAGE.exists() or PAGE.read_text(encoding="utf-8") != text:
            print(f"{PAGE.relative_to(ROOT)} is out of date: run python scripts/cli_reference.py")
            return 1
        print(f"{PAGE.relative_to(ROOT)} is up to date")
        return 0
    if PAGE.exists() and PAGE.read_text(encoding="utf-8") == text:
        print(f"unchanged {PAGE.relative_to(ROOT)}")
    else:
        PAGE.write_text(text, encoding="utf-8")
        print(f"wrote {PAGE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
