"""liushou adapters: storage, notification, export and the ``liushou`` command.

Adapters do I/O and depend on :mod:`liushou_core`, never the reverse.
"""
