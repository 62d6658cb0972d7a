"""Test support for users of liushou: Hypothesis strategies and conformance suites.

- :mod:`liushou_core.testing.strategies` builds valid model instances (and
  invalid inputs for error paths) for property tests of your own rules and
  adapters. It needs Hypothesis, a test dependency that ``liushou_core``
  itself never imports; import the submodule explicitly::

      from liushou_core.testing import strategies as lst

This package imports nothing on its own, so importing it costs nothing and
does not require Hypothesis.
"""

from __future__ import annotations

__all__: list[str] = []
