"""The documentation's code runs, and the README's commands are the ones CI runs.

Every fenced ```` ```python ```` block in ``README.md`` and ``docs/*.md`` is
executed. The blocks of one page run in order in one namespace, so a page can
build on its earlier blocks, as a reader following it would. Blocks fenced
with another language (``bash``, ``console``, ``text``) are not run.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])

_FENCE = re.compile(r"^```(?P<lang>[\w+-]*)[^\n]*\n(?P<body>.*?)^```\s*$", re.M | re.S)


def python_blocks(text: str) -> list[tuple[int, str]]:
    """``(line, code)`` of each ```` ```python ```` block of a Markdown text."""
    return [
        (text.count("\n", 0, m.start()) + 2, m.group("body"))
        for m in _FENCE.finditer(text)
        if m.group("lang") == "python"
    ]


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_pages_are_found() -> None:
    names = {rel(p) for p in PAGES}
    assert {"README.md", "docs/index.md", "docs/tutorial.md", "docs/rules.md"} <= names


@pytest.mark.parametrize("page", [p for p in PAGES if python_blocks(p.read_text("utf-8"))], ids=rel)
def test_python_blocks_run(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # whatever a block writes lands here
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    for line, code in python_blocks(page.read_text("utf-8")):
        compiled = compile(code, f"{rel(page)}:{line}", "exec")
        exec(compiled, namespace)
    capsys.readouterr()


def test_fence_parser() -> None:
    text = "intro\n```python\nx = 1\n```\n\n```bash\nls\n```\n```python title\ny = 2\n```\n"
    assert python_blocks(text) == [(3, "x = 1\n"), (10, "y = 2\n")]


# ----------------------------------------------------------------------------- README and CI


def readme_commands() -> list[str]:
    """The command lines of the README's ```` ```bash ```` blocks."""
    text = (ROOT / "README.md").read_text("utf-8")
    return [
        line.strip()
        for m in _FENCE.finditer(text)
        if m.group("lang") in {"bash", "sh", "console"}
        for line in m.group("body").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def test_readme_opens_with_the_two_setup_commands() -> None:
    commands = readme_commands()
    assert len(commands) >= 2
    demo, tests = commands[0], commands[1]
    assert "liushou demo" in demo
    assert tests.endswith("pytest")


def test_ci_runs_the_readme_commands_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    ci_lines = {line.strip() for line in ci.splitlines()}
    demo, tests = readme_commands()[:2]
    assert tests in ci_lines, "the README test command must be exactly the one .ci/run runs"
    assert demo in ci_lines, "the README demo command must be exactly the one .ci/run runs"


def test_ci_script_is_strict_bash() -> None:
    ci = ROOT / ".ci" / "run"
    text = ci.read_text("utf-8")
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text


def test_mkdocs_nav_lists_every_page() -> None:
    config = (ROOT / "mkdocs.yml").read_text("utf-8")
    nav = set(re.findall(r":\s*([\w/-]+\.md)\s*$", config, re.M))
    pages = {p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md")}
    assert nav <= pages, f"nav names missing pages: {sorted(nav - pages)}"
    assert pages <= nav, f"pages missing from the nav: {sorted(pages - nav)}"
