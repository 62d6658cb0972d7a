"""The message catalogues: complete in Chinese, consistent, compiled, and used.

Every string marked with ``N_()`` under ``src/`` must have a reviewed (non-fuzzy)
Chinese translation with the same ``{placeholders}``, and the committed ``.mo``
files must match their ``.po`` files. When a test here fails, run
``python scripts/i18n.py all`` and translate the empty ``msgstr`` in
``src/liushou_core/i18n/locale/zh_CN/LC_MESSAGES/liushou.po`` (docs/i18n.md).
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import pkgutil
import re
import sys
from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import liushou_core
from liushou_core import models
from liushou_core.i18n import LANGS, Message, catalogue
from liushou_core.models import Health, HealthStatus, Period, Relationship, label
from liushou_core.validate import FieldProblem

ROOT = Path(__file__).resolve().parents[1]
ZH_PO = "src/liushou_core/i18n/locale/zh_CN/LC_MESSAGES/liushou.po"
FIX = (
    f"Run `python scripts/i18n.py all`, then translate the empty msgstr in {ZH_PO} "
    "(and review any entry marked `#, fuzzy`, deleting the flag); see docs/i18n.md."
)
CJK = re.compile(r"[\u3400-\u9fff]")
#: ASCII punctuation that has a full-width form in Chinese text (，；：？！（）).
ASCII_PUNCT = re.compile(r"[,;:?!()]")


def _load_tool() -> ModuleType:
    """``scripts/i18n.py``, the one place that knows how to extract and compile."""
    name = "liushou_i18n_script"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / "i18n.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tool() -> ModuleType:
    return _load_tool()


@pytest.fixture(scope="module")
def template(tool: ModuleType) -> Any:
    """Every message marked in ``src/``, extracted in memory with Babel."""
    return tool.extract_catalog()


@pytest.fixture(scope="module")
def po(tool: ModuleType) -> dict[str, Any]:
    """The committed ``.po`` catalogues by locale."""
    return {
        locale: tool.read_catalog(tool.po_path(locale), locale)
        for locale in tool.LOCALES
        if tool.po_path(locale).exists()
    }


def _listing(items: list[str]) -> str:
    return "\n".join(f"  - {item}" for item in items)


def _where(message: Any) -> str:
    return ", ".join(f"{f}:{n}" if n else f for f, n in message.locations)


# ------------------------------------------------------------------- (a) complete


def test_extraction_finds_the_marked_messages(template: Any) -> None:
    ids = {m.id for m in template if m.id}
    # A few msgids from different modules: extraction (babel.cfg, keywords) works.
    assert {"father", "a name is required", "{end} ends before it starts ({start})"} <= ids


def test_catalogues_exist(tool: ModuleType, po: dict[str, Any]) -> None:
    for locale in tool.LOCALES:
        assert locale in po, f"{tool.po_path(locale)} is missing. {FIX}"
        assert tool.mo_path(locale).exists(), f"{tool.mo_path(locale)} is missing. {FIX}"


def test_every_message_has_a_chinese_translation(
    tool: ModuleType, template: Any, po: dict[str, Any]
) -> None:
    zh = po[tool.TARGET_LOCALE]
    missing = tool.missing_translations(template, zh)
    assert not missing, (
        f"{len(missing)} message(s) marked with N_() have no reviewed Chinese translation:\n"
        + _listing([f"{m.id!r} ({_where(m)})" for m in missing])
        + f"\n{FIX}"
    )


def test_chinese_translations_read_as_chinese(tool: ModuleType, po: dict[str, Any]) -> None:
    bad = []
    for m in po[tool.TARGET_LOCALE]:
        if not m.id or not m.string:
            continue
        text = re.sub(r"\{[^{}]*\}", "", m.string)  # placeholders may hold anything
        if not CJK.search(text):
            bad.append(f"{m.id!r}: {m.string!r} has no Chinese characters")
        elif ASCII_PUNCT.search(text):
            bad.append(f"{m.id!r}: {m.string!r} uses ASCII punctuation, not ，；：？！（）")
    assert not bad, "Chinese translations to fix:\n" + _listing(bad)


# ---------------------------------------------------------------- (b) placeholders


def test_msgids_are_valid_format_strings(tool: ModuleType, template: Any) -> None:
    bad = []
    for m in template:
        if m.id:
            try:
                tool.placeholders(m.id)
            except ValueError as e:
                bad.append(f"{m.id!r} ({_where(m)}): {e}")
    assert not bad, "msgids that str.format cannot fill:\n" + _listing(bad)


def test_translations_keep_the_placeholders(tool: ModuleType, po: dict[str, Any]) -> None:
    problems = [f"{loc}: {p}" for loc, cat in po.items() for p in tool.placeholder_problems(cat)]
    assert not problems, (
        "Translations whose {placeholders} differ from the msgid's (keep them exactly):\n"
        + _listing(problems)
    )


# --------------------------------------------------------------------- (c) compiled


def test_compiled_catalogues_match_the_po_files(tool: ModuleType, po: dict[str, Any]) -> None:
    for locale, cat in po.items():
        want = tool.compiled_messages(cat)
        got = tool.mo_messages(tool.mo_path(locale))
        stale = sorted(k for k in want.keys() | got.keys() if want.get(k) != got.get(k))
        assert not stale, (
            f"{tool.mo_path(locale)} is stale for {len(stale)} msgid(s):\n"
            + _listing([repr(k) for k in stale[:20]])
            + "\nRun `python scripts/i18n.py compile` (or `all`)."
        )


# ---------------------------------------------------------------------- (d) render


def test_render_chinese_and_english_from_real_messages() -> None:
    with pytest.raises(FieldProblem) as info:
        Period(dt.date(2026, 9, 1), dt.date(2026, 8, 31))
    message = info.value.message
    assert message.render("zh") == "结束日期2026-08-31早于开始日期2026-09-01"
    assert message.render("en") == "2026-08-31 ends before it starts (2026-09-01)"
    assert message.render() == message.render("zh")  # Chinese is the default

    with pytest.raises(FieldProblem) as info:
        Health(status=HealthStatus.DISABLED)
    assert info.value.message.render("zh") == "残疾须注明类别和等级"
    assert info.value.message.render("en") == "a disability needs its type and grade"
    assert str(info.value) == "a disability needs its type and grade"


def test_render_translates_parameters_that_are_message_ids() -> None:
    m = Message("NOT_ONE_OF", "not one of: {choices}", {"choices": "paternal grandmother"})
    assert m.render("zh") == "不是可选值之一：祖母"
    assert m.render("en") == "not one of: paternal grandmother"
    # Other values (names, places, dates) are shown as they are.
    m = Message("PHONE", "not a mainland phone number: {phone}", {"phone": "138****1234"})
    assert m.render("zh") == "不是有效的中国大陆电话号码：138****1234"


# ----------------------------------------------------------------------- (e) enums


def _exported_enums() -> list[type[StrEnum]]:
    return [
        obj
        for name in models.__all__
        if isinstance(obj := getattr(models, name), type) and issubclass(obj, StrEnum)
    ]


def _all_core_enums() -> list[type[StrEnum]]:
    """Every StrEnum defined in a ``liushou_core`` module (their values are labels too)."""
    found: dict[str, type[StrEnum]] = {}
    for info in pkgutil.walk_packages(liushou_core.__path__, "liushou_core."):
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if (
                isinstance(obj, type)
                and issubclass(obj, StrEnum)
                and obj.__module__ == module.__name__
            ):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return [found[k] for k in sorted(found)]


def _unlabelled(enums: list[type[StrEnum]], template: Any) -> list[str]:
    ids = {m.id for m in template if m.id}
    bad = []
    for enum in enums:
        for member in enum:
            zh, en = label(member, "zh"), label(member, "en")
            where = f"{enum.__module__}.{enum.__qualname__}.{member.name} = {member.value!r}"
            if member.value not in ids:
                bad.append(f"{where}: value not marked with N_()")
            elif en != member.value:
                bad.append(f"{where}: English label {en!r} differs from the value")
            elif zh == en or not CJK.search(zh):
                bad.append(f"{where}: no Chinese label (got {zh!r})")
    return bad


def test_every_model_enum_member_has_a_chinese_label(template: Any) -> None:
    enums = _exported_enums()
    assert len(enums) >= 20  # the survey form's vocabularies, at least
    bad = _unlabelled(enums, template)
    assert not bad, "Enum members without a Chinese label:\n" + _listing(bad) + f"\n{FIX}"


def test_every_core_enum_member_has_a_chinese_label(template: Any) -> None:
    bad = _unlabelled(_all_core_enums(), template)
    assert not bad, "Enum members without a Chinese label:\n" + _listing(bad) + f"\n{FIX}"


def test_label_examples() -> None:
    assert label(Relationship.PATERNAL_GRANDMOTHER) == "祖母"
    assert label(Relationship.PATERNAL_GRANDMOTHER, "en") == "paternal grandmother"
    assert label(models.HouseholdCategory.DIBAO, "zh") == "低保"
    assert label(models.ContactKind.HOME_VISIT, "zh") == "家访"


# -------------------------------------------------------------- (f) unknown language


@pytest.mark.parametrize("lang", ["fr", "zh_CN", "ZH", ""])
def test_unknown_language_raises(lang: str) -> None:
    assert lang not in LANGS
    with pytest.raises(ValueError, match="unknown language"):
        catalogue(lang)
    with pytest.raises(ValueError, match="unknown language"):
        Message("NAME_EMPTY", "a name is required").render(lang)
    with pytest.raises(ValueError, match="unknown language"):
        label(Relationship.FATHER, lang)


def test_a_message_has_one_value_per_parameter() -> None:
    twice = Message("X", "{a}", (("a", 1), ("a", 2)))
    assert twice.params == (("a", 2),)
    assert twice == Message("X", "{a}", {"a": 2})
    assert twice.render("en") == "2"
