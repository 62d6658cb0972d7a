"""``docs/cli.md`` is generated from the commands and never out of date."""

from __future__ import annotations

import runpy
from pathlib import Path

from liushou_adapters.cli import cli

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "cli_reference.py"


def _render() -> str:
    render = runpy.run_path(str(SCRIPT))["render"]
    text: str = render()
    return text


def test_cli_reference_is_up_to_date() -> None:
    page = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert page == _render(), "docs/cli.md is stale: run python scripts/cli_reference.py"


def test_every_subcommand_is_in_the_reference() -> None:
    text = _render()
    assert cli.commands, "the liushou group has no subcommands"
    for name, command in cli.commands.items():
        assert f"## liushou {name}\n" in text
        assert f"Usage: liushou {name} [OPTIONS]" in text
        assert "Example" in (command.epilog or ""), f"liushou {name} --help has no example"
