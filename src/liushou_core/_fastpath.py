"""Generated structuring functions for attrs models (the converter's fast path).

cattrs' generic generated code builds a keyword dict and calls ``__init__``;
for province-scale imports that overhead dominates. This module generates, per
attrs class, one straight-line function that checks the keys, converts each
field exactly as ``__init__`` would (the field's attrs converter, or the hook
for its type), sets the attributes, runs the validators and
``__attrs_post_init__``. It is registered as a cattrs structure hook factory
by :func:`liushou_core.convert.configure_converter`, so ``converter.structure``
uses it. Any exception aborts; the caller then runs the diagnostic pass to
report every problem with its path.
"""

from __future__ import annotations

import datetime as dt
import functools
import types
import typing
import unicodedata
from collections.abc import Callable
from enum import Enum
from typing import Any, TypeVar, cast, get_args, get_origin

import attrs
import cattrs

from liushou_core import validate as _validate
from liushou_core.i18n import N_, Message

__all__ = ["make_structure_fn", "make_unstructure_fn", "with_version"]

T = TypeVar("T")

_NOTHING = attrs.NOTHING

#: Converters whose result for ``None`` is ``None``: the call is skipped.
_SKIP_NONE = {
    _validate.optional_name,
    _validate.optional_phone,
    _validate.optional_resident_id,
    _validate.optional_student_number,
}


class _Unknown(ValueError):
    """A key the model does not have."""


def _check_keys(o: Any, known: frozenset[str]) -> None:
    if type(o) is not dict:
        raise TypeError("expected an object")
    raise _Unknown(", ".join(sorted(set(o) - known)))


def _no_list() -> Any:
    raise _validate.FieldProblem(Message("EXPECTED_LIST", N_("expected a list")))


def make_structure_fn(cls: type, conv: cattrs.Converter) -> Callable[[Any, Any], Any]:
    """A fast structuring function for the attrs class ``cls``."""
    attrs.resolve_types(cls)
    fields = attrs.fields(cls)
    ns: dict[str, Any] = {
        "__cls": cls,
        "__new": object.__new__,
        "__set": object.__setattr__,
        "__check_keys": _check_keys,
        "__no_list": _no_list,
        "__dict": dict,
        "__tuple": tuple,
        "__list": list,
        "__type": type,
        "__missing": _NOTHING,
        "__fromiso": dt.date.fromisoformat,
        "__isnfc": unicodedata.is_normalized,
    }
    known = frozenset(f.alias or f.name for f in fields if f.init)
    ns["__known"] = known
    lines = [
        "def structure(o, _=None):",
        "    if __type(o) is not __dict or not o.keys() <= __known:",
        "        __check_keys(o, __known)",
        "    self = __new(__cls)",
    ]
    counter = iter(range(10_000))

    def bind(obj: Any) -> str:
        name = f"__b{next(counter)}"
        ns[name] = obj
        return name

    def expr_for(tp: Any, var: str) -> str:
        """An expression structuring the raw value ``var`` as ``tp``."""
        origin, args = get_origin(tp), get_args(tp)
        if origin in (typing.Union, types.UnionType) and type(None) in args:
            rest = [a for a in args if a is not type(None)]
            if len(rest) == 1:
                return f"(None if {var} is None else {expr_for(rest[0], var)})"
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            item = args[0]
            seq = f"({var} if __type({var}) is __list or __type({var}) is __tuple else __no_list())"
            if item is str:
                return (
                    f"(__tuple({var}) if __type({var}) is __list and all(__type(e) is str "
                    f"for e in {var}) else __tuple([{expr_for(str, 'e')} for e in {seq}]))"
                )
            return f"__tuple([{expr_for(item, 'e')} for e in {seq}])"
        hook = bind(conv.get_structure_hook(tp))
        tp_name = bind(tp)
        # Inline the common cases; anything unusual goes through the hook.
        if tp is str:
            return f"({var} if __type({var}) is str else {hook}({var}, {tp_name}))"
        if tp is bool:
            return f"({var} if {var} is True or {var} is False else {hook}({var}, {tp_name}))"
        if tp is int:
            return f"({var} if __type({var}) is int else {hook}({var}, {tp_name}))"
        if tp is dt.date:
            # The dashes keep out what else fromisoformat takes: "2024-W09-5", "20240301  ".
            return (
                f"(__fromiso({var}) if __type({var}) is str and len({var}) == 10 "
                f"and {var}[4] == '-' and {var}[7] == '-' else {hook}({var}, {tp_name}))"
            )
        if isinstance(tp, type) and issubclass(tp, Enum):
            members = bind({m.value: m for m in tp})
            # Members are truthy (non-empty values); a miss goes to the hook's error.
            return f"({members}.get({var}) or {hook}({var}, {tp_name}))"
        return f"{hook}({var}, {tp_name})"

    def converter_expr(c: Any, var: str) -> str:
        name = bind(c)
        if c is _validate.optional_phone:
            full = bind(_validate.phone)
            return (
                f"(None if {var} is None else {full}({var}) "
                f"if __type({var}) is str and len({var}) == 11 else {name}({var}))"
            )
        if c is _validate.optional_resident_id:
            full = bind(_validate.resident_id)
            return (
                f"(None if {var} is None else {full}({var}) "
                f"if __type({var}) is str and len({var}) == 18 else {name}({var}))"
            )
        if c in _SKIP_NONE:
            return f"(None if {var} is None else {name}({var}))"
        nfc = f"__type({var}) is str and ({var}.isascii() or __isnfc('NFC', {var}))"
        if c is _validate.text:
            return f"({var}.strip() if {nfc} else {name}({var}))"
        if c is _validate.name:
            return f"(s if {nfc} and (s := {var}.strip()) and s.isprintable() else {name}({var}))"
        return f"{name}({var})"

    def setter(field: str) -> str:
        """A slot descriptor's ``__set__`` (faster), else ``object.__setattr__`` by name."""
        desc: Any = cls.__dict__.get(field)
        if type(desc).__name__ == "member_descriptor":
            return bind(desc.__set__)
        return f"(lambda o, v, __n={field!r}: __set(o, __n, v))"

    post_validate: list[str] = []
    for f in fields:
        key = f.alias or f.name
        if not f.init:
            if f.default is not _NOTHING and not isinstance(f.default, attrs.Factory):  # type: ignore[arg-type]
                lines.append(f"    {setter(f.name)}(self, {bind(f.default)})")
            continue
        if f.converter is not None:
            value = converter_expr(f.converter, "v")
        else:
            value = expr_for(f.type, "v")
        if f.default is _NOTHING:
            lines.append(f"    v = o[{key!r}]")
            lines.append(f"    {setter(f.name)}(self, {value})")
        else:
            lines.append(f"    v = o.get({key!r}, __missing)")
            lines.append("    if v is not __missing:")
            lines.append(f"        {setter(f.name)}(self, {value})")
            lines.append("    else:")
            default = f.default
            if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
                fac = bind(default.factory)
                call = f"{fac}(self)" if default.takes_self else f"{fac}()"
                lines.append(f"        {setter(f.name)}(self, {call})")
            else:
                lines.append(f"        {setter(f.name)}(self, {bind(default)})")
        if f.validator is not None:
            call = f"{bind(f.validator)}(self, {bind(f)}, self.{f.name})"
            start = getattr(f.validator, "start_field", None)
            if start is not None:  # models.common.not_before: call it only when it can fail
                end = f"self.{f.name}"
                call = (
                    f"if {end} is not None and self.{start} is not None "
                    f"and {end} < self.{start}: {call}"
                )
            post_validate.append(f"    {call}")
    lines.extend(post_validate)
    if hasattr(cls, "__attrs_post_init__"):
        lines.append("    self.__attrs_post_init__()")
    lines.append("    return self")
    src = "\n".join(lines)
    code = compile(src, f"<liushou fast structure {cls.__qualname__}>", "exec")
    exec(code, ns)
    fn: Callable[[Any, Any], Any] = ns["structure"]
    fn.__doc__ = f"Structure a {cls.__qualname__} (generated by liushou_core._fastpath)."
    return fn


def is_model(tp: Any) -> bool:
    """Whether ``tp`` gets a generated function: an attrs class that is not an Enum."""
    return isinstance(tp, type) and attrs.has(tp) and not issubclass(tp, Enum | dt.date)


def make_unstructure_fn(cls: type, conv: cattrs.Converter) -> Callable[[Any], Any]:
    """A fast unstructuring function for the attrs class ``cls``.

    It builds the plain dict in one expression: text, numbers and booleans as
    they are, dates as ISO text, enumerations by value, tuples as lists and
    nested models through their own generated functions. Only fields set by
    ``__init__`` are written, so the result structures back.
    """
    attrs.resolve_types(cls)
    ns: dict[str, Any] = {}
    counter = iter(range(10_000))

    def bind(obj: Any) -> str:
        name = f"__u{next(counter)}"
        ns[name] = obj
        return name

    def expr(tp: Any, var: str) -> str:
        origin, args = get_origin(tp), get_args(tp)
        if origin in (typing.Union, types.UnionType) and type(None) in args:
            rest = [a for a in args if a is not type(None)]
            if len(rest) == 1:
                return f"(None if {var} is None else {expr(rest[0], var)})"
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            item = expr(args[0], "e")
            return f"[{item} for e in {var}]" if item != "e" else f"list({var})"
        if tp in (str, int, bool, float):
            return var
        if isinstance(tp, type) and issubclass(tp, Enum):
            return f"{var}._value_"  # the plain attribute behind the ``value`` property
        if tp in (dt.date, dt.datetime):
            return f"{var}.isoformat()"
        return f"{bind(conv.get_unstructure_hook(tp))}({var})"

    body = ", ".join(
        f"{f.name!r}: {expr(f.type, 'o.' + f.name)}" for f in attrs.fields(cls) if f.init
    )
    src = f"def unstructure(o):\n    return {{{body}}}"
    exec(compile(src, f"<liushou fast unstructure {cls.__qualname__}>", "exec"), ns)
    fn: Callable[[Any], Any] = ns["unstructure"]
    fn.__doc__ = f"Unstructure a {cls.__qualname__} (generated by liushou_core._fastpath)."
    return fn


@functools.cache
def _copier(cls: type) -> Callable[[Any, int], Any]:
    if not attrs.has(cls) or "version" not in attrs.fields_dict(cls):
        raise TypeError(f"{cls.__name__} is not a versioned record")
    ns: dict[str, Any] = {"__new": object.__new__, "__cls": cls, "__set": object.__setattr__}
    lines = ["def copy(o, version):", "    n = __new(__cls)"]
    for i, f in enumerate(attrs.fields(cls)):
        desc: Any = cls.__dict__.get(f.name)
        if type(desc).__name__ == "member_descriptor":
            ns[f"__s{i}"] = desc.__set__
            setter = f"__s{i}(n, {{}})"
        else:
            setter = f"__set(n, {f.name!r}, {{}})"
        value = "version" if f.name == "version" else f"o.{f.name}"
        lines.append("    " + setter.format(value))
    lines.append("    return n")
    exec(compile("\n".join(lines), f"<liushou copy {cls.__qualname__}>", "exec"), ns)
    fn: Callable[[Any, int], Any] = ns["copy"]
    return fn


def with_version(record: T, version: int) -> T:
    """A copy of the entity ``record`` with ``version`` set.

    Its other fields are already valid, so unlike :func:`attrs.evolve` nothing
    is converted or validated again (stores call this for every record written).
    """
    cls: type = type(record)
    return cast(T, _copier(cls)(record, version))
