"""One cattrs converter for all (de)serialisation.

``structure(data, cls)`` turns plain data (JSON shapes: dicts, lists, ISO date
strings, enum values) into models; ``unstructure(obj)`` does the reverse.
Unknown keys are rejected, booleans, integers and text are strict (``"false"``
is not a boolean), dates are ISO ``YYYY-MM-DD`` and never shifted through UTC.

Structuring runs cattrs' generated code, with the models' own validators, on
the fast path. When anything fails, a second, diagnostic pass walks the whole
input and collects every problem with its path, and :class:`InvalidRecord` is
raised with all of them (``$.guardians[0].phone: not a mainland phone
number``). Nothing is half-built.

Modelled on cattrs' ``preconf`` modules: :func:`configure_converter` adds our
hooks to any converter, :func:`make_converter` builds a fresh one.
"""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from enum import Enum
from functools import cache
from typing import Any, TypeVar, get_args, get_origin

import attrs
import cattrs

from liushou_core._fastpath import is_model, make_structure_fn, make_unstructure_fn
from liushou_core.errors import InvalidRecord
from liushou_core.i18n import N_, Message
from liushou_core.validate import FieldProblem

__all__ = ["configure_converter", "converter", "make_converter", "structure", "unstructure"]

T = TypeVar("T")


def _problem(code: str, text: str, **params: str | int) -> FieldProblem:
    return FieldProblem(Message(code, text, params))


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def _structure_date(value: Any, _: type) -> dt.date:
    if type(value) is dt.date:
        return value
    # fromisoformat alone would also take "2024-W09-5" and "20240301  ".
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise _problem("BAD_DATE", N_("not a date (YYYY-MM-DD)"))


def _structure_datetime(value: Any, _: type) -> dt.datetime:
    if isinstance(value, dt.datetime):
        result = value
    elif isinstance(value, str):
        try:
            result = dt.datetime.fromisoformat(value)
        except ValueError:
            raise _problem("BAD_DATETIME", N_("not a local date and time")) from None
    else:
        raise _problem("BAD_DATETIME", N_("not a local date and time"))
    if result.tzinfo is not None:
        raise _problem("DATETIME_TZ", N_("a local date and time is expected, without a time zone"))
    return result


def _structure_bool(value: Any, _: type) -> bool:
    if value is True or value is False:
        return value
    raise _problem("NOT_BOOL", N_("expected true or false"))


def _structure_int(value: Any, _: type) -> int:
    if type(value) is int:
        return value
    raise _problem("NOT_INT", N_("expected a whole number"))


def _structure_str(value: Any, tp: type) -> Any:
    # cattrs dispatches every str subclass here, str-valued enums included.
    if tp is not str and issubclass(tp, Enum):
        return _enum_structurer(tp)(value, tp)
    if isinstance(value, str):
        return value if tp is str else tp(value)  # type: ignore[call-arg]
    raise _problem("NOT_TEXT", N_("expected text, got {kind}"), kind=type(value).__name__)


def _unstructure_str(value: str) -> Any:
    return value.value if isinstance(value, Enum) else value


def _structure_decimal(value: Any, _: type) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | str) and not isinstance(value, bool):
        try:
            d = Decimal(value)
        except InvalidOperation:
            pass
        else:
            if d.is_finite():
                return d
    raise _problem(
        "BAD_AMOUNT", N_("not an amount (a whole number, or a decimal number written as text)")
    )


def _is_homogeneous_tuple(tp: Any) -> bool:
    args = get_args(tp)
    return get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis


def _tuple_structurer(tp: Any, c: cattrs.Converter) -> Any:
    # cattrs' own hook iterates anything: "abc" would become ("a", "b", "c").
    item = get_args(tp)[0]
    handler = c.get_structure_hook(item)

    def structure_tuple(value: Any, _: type) -> tuple[Any, ...]:
        if not isinstance(value, list | tuple):
            raise _problem("EXPECTED_LIST", N_("expected a list"))
        return tuple(handler(v, item) for v in value)

    return structure_tuple


@cache
def _enum_structurer(cls: type[Enum]) -> Any:
    by_value = {m.value: m for m in cls}
    choices = ", ".join(str(v) for v in by_value)

    def structure_enum(value: Any, _: type) -> Enum:
        try:
            return by_value[value]
        except (KeyError, TypeError):
            raise _problem("NOT_ONE_OF", N_("not one of: {choices}"), choices=choices) from None

    return structure_enum


def _enum_value(member: Enum) -> Any:
    return member.value


def _unstructure_message(m: Message) -> dict[str, Any]:
    return {"code": m.code, "text": m.text, "params": dict(m.params)}


def configure_converter(c: cattrs.Converter) -> None:
    """Register liushou's hooks on ``c``."""
    c.register_structure_hook(dt.date, _structure_date)
    c.register_structure_hook(dt.datetime, _structure_datetime)
    c.register_unstructure_hook(dt.date, dt.date.isoformat)
    c.register_unstructure_hook(dt.datetime, dt.datetime.isoformat)
    c.register_structure_hook(bool, _structure_bool)
    c.register_structure_hook(int, _structure_int)
    c.register_structure_hook(str, _structure_str)
    c.register_unstructure_hook(str, _unstructure_str)
    c.register_structure_hook(Decimal, _structure_decimal)
    c.register_structure_hook_factory(_is_homogeneous_tuple, _tuple_structurer)
    c.register_unstructure_hook(Decimal, str)
    c.register_structure_hook_factory(
        lambda t: isinstance(t, type) and issubclass(t, Enum), _enum_structurer
    )
    c.register_unstructure_hook_factory(
        lambda t: isinstance(t, type) and issubclass(t, Enum), lambda _: _enum_value
    )
    c.register_unstructure_hook(Message, _unstructure_message)
    c.register_structure_hook_factory(is_model, lambda t: make_structure_fn(t, c))
    c.register_unstructure_hook_factory(is_model, lambda t: make_unstructure_fn(t, c))


def make_converter() -> cattrs.Converter:
    """A new converter configured for liushou's models."""
    c = cattrs.Converter(
        forbid_extra_keys=True,
        prefer_attrib_converters=True,
        detailed_validation=False,
    )
    configure_converter(c)
    return c


#: The converter every part of liushou uses.
converter: cattrs.Converter = make_converter()


def structure(data: Any, cls: type[T], *, conv: cattrs.Converter | None = None) -> T:
    """Build a ``cls`` from plain data, or raise :class:`InvalidRecord` with every problem."""
    c = conv or converter
    try:
        return c.structure(data, cls)
    except Exception as exc:  # diagnose below, whatever failed
        problems = diagnose(data, cls, conv=c)
        if not problems:  # pragma: no cover - the diagnostic pass should always find it
            problems = [("$", _message_of(exc))]
        raise InvalidRecord(problems, what=getattr(cls, "__name__", "record")) from None


def unstructure(obj: Any, *, conv: cattrs.Converter | None = None) -> Any:
    """Plain data (dicts, lists, strings, numbers) for ``obj``."""
    return (conv or converter).unstructure(obj)


# --------------------------------------------------------------------------- diagnosis


def _message_of(exc: BaseException) -> Message:
    if isinstance(exc, FieldProblem):
        return exc.message
    return Message("INVALID", str(exc) or type(exc).__name__)


_resolved: set[type] = set()


def _fields(cls: type) -> tuple[attrs.Attribute[Any], ...]:
    if cls not in _resolved:
        attrs.resolve_types(cls)
        _resolved.add(cls)
    return tuple(f for f in attrs.fields(cls) if f.init)


def diagnose(
    data: Any, tp: Any, path: str = "$", *, conv: cattrs.Converter | None = None
) -> list[tuple[str, Message]]:
    """Every problem in ``data`` as a ``tp``, as ``(path, message)`` pairs (empty if none)."""
    out: list[tuple[str, Message]] = []
    _diagnose(conv or converter, data, tp, path, out)
    return out


def _diagnose(
    c: cattrs.Converter, data: Any, tp: Any, path: str, out: list[tuple[str, Message]]
) -> None:
    origin = get_origin(tp)
    args = get_args(tp)
    if origin in (typing.Union, types.UnionType):
        if data is None and type(None) in args:
            return
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1:
            _diagnose(c, data, rest[0], path, out)
            return
    elif origin is tuple:
        if not isinstance(data, list | tuple):
            out.append((path, Message("EXPECTED_LIST", N_("expected a list"))))
            return
        if len(args) == 2 and args[1] is Ellipsis:
            for i, item in enumerate(data):
                _diagnose(c, item, args[0], f"{path}[{i}]", out)
            return
    elif isinstance(tp, type) and attrs.has(tp):
        _diagnose_attrs(c, data, tp, path, out)
        return
    try:
        c.structure(data, tp)
    except Exception as exc:
        out.append((path, _message_of(exc)))


def _diagnose_attrs(
    c: cattrs.Converter, data: Any, cls: type, path: str, out: list[tuple[str, Message]]
) -> None:
    if not isinstance(data, Mapping):
        out.append((path, Message("EXPECTED_OBJECT", N_("expected an object"))))
        return
    fields = _fields(cls)
    known = {f.alias for f in fields}
    for key in data:
        if key not in known:
            out.append((f"{path}.{key}", Message("UNKNOWN_FIELD", N_("unknown field"))))
    start = len(out)
    kwargs: dict[str, Any] = {}
    for f in fields:
        key = f.alias or f.name
        sub = f"{path}.{key}"
        if key not in data:
            if f.default is attrs.NOTHING:
                out.append((sub, Message("REQUIRED", N_("this field is required"))))
            continue
        value = data[key]
        before = len(out)
        if f.converter is not None:
            try:
                kwargs[key] = f.converter(value)  # type: ignore[operator]
            except Exception as exc:
                out.append((sub, _message_of(exc)))
            continue
        _diagnose(c, value, f.type, sub, out)
        if len(out) == before:
            kwargs[key] = c.structure(value, f.type)  # type: ignore[arg-type]
    if len(out) > start:
        return
    try:
        cls(**kwargs)
    except FieldProblem as exc:
        out.append((f"{path}.{exc.field}" if exc.field else path, exc.message))
    except Exception as exc:
        out.append((path, _message_of(exc)))
