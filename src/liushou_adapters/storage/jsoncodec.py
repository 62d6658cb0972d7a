"""The JSON text every store writes and reads (orjson: compact, UTF-8, keys in order).

Stores keep a record as the converter's plain data (``liushou_core.convert.unstructure``)
in JSON. orjson writes it several times faster than the standard library, which
matters at county and province scale; the text is the same as
``json.dumps(data, ensure_ascii=False, separators=(",", ":"))``.
"""

from __future__ import annotations

from typing import Any

import orjson

__all__ = ["dumps", "loads"]


def dumps(data: Any) -> str:
    """Compact JSON text of plain data (dicts, lists, text, numbers, booleans, None)."""
    return orjson.dumps(data).decode()


def loads(text: str | bytes) -> Any:
    """Plain data from JSON text."""
    return orjson.loads(text)
