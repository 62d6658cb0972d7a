"""``python -m liushou_adapters.cli``: the same as the ``liushou`` command."""

from liushou_adapters.cli import main

main()
