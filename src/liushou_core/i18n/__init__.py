"""Messages in Chinese (the default) and English.

Every reason, finding and error a school person reads is a :class:`Message`: a
stable ``code``, an English message id ``text`` with ``{name}`` placeholders,
and ``params``. :meth:`Message.render` looks the text up in the gettext
catalogue of the language (``zh`` or ``en``) and fills in the parameters.
Parameter values that are themselves message ids (the vocabulary marked with
:func:`N_`, such as ``"father"`` or ``"boarding"``) are translated too; other
values (names, places, dates, amounts) are shown as they are.

Catalogues live in ``locale/<lang>/LC_MESSAGES/liushou.po`` beside this file
and are compiled to ``.mo``; ``tests/test_i18n.py`` fails when a message marked
in the code lacks a Chinese translation or the ``.mo`` is stale.
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Final, Literal, TypeAlias

import attrs

__all__ = [
    "DEFAULT_LANG",
    "LANGS",
    "N_",
    "Lang",
    "Message",
    "ParamValue",
    "catalogue",
    "gettext_for",
]

Lang: TypeAlias = Literal["zh", "en"]
LANGS: Final[tuple[Lang, ...]] = ("zh", "en")
DEFAULT_LANG: Final[Lang] = "zh"
DOMAIN: Final = "liushou"
_LOCALE_DIRS: Final[dict[str, str]] = {"zh": "zh_CN", "en": "en"}

ParamValue: TypeAlias = str | int


def N_(text: str) -> str:
    """Mark ``text`` as a message id for extraction, without translating it."""
    return text


@cache
def catalogue(lang: str) -> gettext.NullTranslations:
    """The compiled gettext catalogue of ``lang`` (``"zh"`` or ``"en"``).

    Raises :class:`ValueError` for a language liushou does not ship.
    """
    if lang not in _LOCALE_DIRS:
        raise ValueError(f"unknown language {lang!r}; known: {', '.join(LANGS)}")
    mo = resources.files(__name__).joinpath(
        "locale", _LOCALE_DIRS[lang], "LC_MESSAGES", f"{DOMAIN}.mo"
    )
    try:
        with mo.open("rb") as fp:
            return gettext.GNUTranslations(fp)
    except FileNotFoundError:  # pragma: no cover - only in a broken install
        return gettext.NullTranslations()


def gettext_for(lang: str) -> gettext.NullTranslations:
    """Alias of :func:`catalogue`, for callers that think in gettext terms."""
    return catalogue(lang)


def _freeze(
    params: Mapping[str, ParamValue] | tuple[tuple[str, ParamValue], ...],
) -> tuple[tuple[str, ParamValue], ...]:
    items = params.items() if isinstance(params, Mapping) else params
    # one value per name (the last, as a dict keeps it), however the pairs came in
    return tuple(sorted({str(k): v for k, v in items}.items()))


@attrs.frozen
class Message:
    """A translatable message with its stable code.

    >>> m = Message("LB_BOTH_AWAY", "Both parents are working away.")
    >>> m.render("en")
    'Both parents are working away.'
    """

    code: str
    text: str
    params: tuple[tuple[str, ParamValue], ...] = attrs.field(default=(), converter=_freeze)

    def render(self, lang: str = DEFAULT_LANG) -> str:
        """The message in ``lang`` with its parameters filled in."""
        cat = catalogue(lang)
        values = {k: (cat.gettext(v) if isinstance(v, str) and v else v) for k, v in self.params}
        template = cat.gettext(self.text)
        try:
            return template.format(**values)
        except (KeyError, IndexError, ValueError):
            return self.text.format(**values)

    @property
    def param_dict(self) -> dict[str, ParamValue]:
        """The parameters as a plain dict."""
        return dict(self.params)

    def __str__(self) -> str:
        return self.render("en")
