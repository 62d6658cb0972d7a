"""``liushou report`` through its real entry point, on a demo store."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from cli_run import run_cli

ON = "2026-11-29"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=cwd, columns=160)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A demo store (one school) and its URL."""
    where = tmp_path_factory.mktemp("report")
    url = f"sqlite:///{where / 'demo.db'}"
    r = run("--store", url, "--on", ON, "demo", "--out", str(where / "demo-out"), cwd=where)
    assert r.returncode == 0, r.stderr
    return where, url


def test_report_writes_one_html_file_per_school(store: tuple[Path, str], tmp_path: Path) -> None:
    _, url = store
    r = run("--store", url, "--on", ON, "report", "--out", str(tmp_path / "reports"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    files = sorted((tmp_path / "reports").iterdir())
    assert [f.name for f in files] == ["report-422828-000-2026-autumn.html"]
    text = files[0].read_text(encoding="utf-8")
    assert "关爱留守儿童工作总结" in text
    assert "三、取得的成绩与存在的问题" in text
    assert files[0].name in r.stderr.replace("\n", "")


def test_report_in_english_for_the_district(store: tuple[Path, str], tmp_path: Path) -> None:
    _, url = store
    r = run(
        "--store",
        url,
        "--lang",
        "en",
        "--on",
        ON,
        "report",
        "--term",
        "2026-autumn",
        "--school",
        "422828-000",
        "--for-district",
        "--out",
        str(tmp_path),
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    text = (tmp_path / "report-422828-000-2026-autumn.html").read_text(encoding="utf-8")
    assert "work summary of the care programme" in text
    assert "shown as &lt;5" in text
    assert "<svg" not in text  # no charts leave the school


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("report", "--school", "nope"), "--school: school nope is not stored"),
        (("report", "--term", "2026-winter"), "'2026-winter' is not a term"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(
    store: tuple[Path, str], tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    _, url = store
    r = run("--store", url, "--on", ON, *args, "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert r.returncode == 2, r.stdout + r.stderr
    assert message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_report_needs_an_existing_store(tmp_path: Path) -> None:
    r = run("--store", f"sqlite:///{tmp_path / 'none.db'}", "report", cwd=tmp_path)
    assert r.returncode == 2
    assert "no database there" in r.stderr
    assert not (tmp_path / "none.db").exists()
