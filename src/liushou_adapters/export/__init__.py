"""Exporters: files for sharing (CSV, JSON, XLSX, ICS), each an exporter plugin.

Every exporter is registered through the ``liushou_exporters`` hook and looked
up by name, never by load order; the built-ins (``csv``, ``json``, ``xlsx``;
``ics`` for the cadence plan) are entry points of the ``liushou`` group like
any deployer's plugin, so ``LIUSHOU_DISABLED_PLUGINS=xlsx`` blocks one::

    from liushou_adapters.export import exporter
    from liushou_adapters.export.datasets import children_table

    table = children_table(children, classes=classes, on=on)
    exporter("xlsx").write([table], "children.xlsx")   # masked, Chinese headers
    exporter("csv", lang="en", encoding="gb18030").write(table, "children.csv")

An unknown name raises :class:`~liushou_core.plugins.UnknownName` listing the
known ones; an exporter whose optional library is missing (XLSX without
openpyxl) stays listed, and asking for it says what to install. The table
exporters are described in :mod:`liushou_adapters.export.tables`, the datasets
in :mod:`liushou_adapters.export.datasets`.
"""

from __future__ import annotations

from typing import Any

import pluggy

from liushou_adapters.export.tables import (
    Column,
    CsvExporter,
    ExportSummary,
    JsonExporter,
    RecordRef,
    Table,
    TableExporter,
    XlsxExporter,
    neutralise,
)
from liushou_adapters.storage import default_plugin_manager
from liushou_core import plugins
from liushou_core.hookspecs import ExporterSpec

__all__ = [
    "Column",
    "CsvExporter",
    "ExportSummary",
    "JsonExporter",
    "RecordRef",
    "Table",
    "TableExporter",
    "XlsxExporter",
    "exporter",
    "exporter_spec",
    "neutralise",
    "table_formats",
]


def exporter_spec(name: str, pm: pluggy.PluginManager | None = None) -> ExporterSpec:
    """The registered exporter called ``name``, its optional library installed.

    ``pm`` defaults to the process's plugin manager
    (:func:`liushou_adapters.storage.default_plugin_manager`).

    :raises UnknownName: no plugin provides ``name`` (the message lists the known ones).
    :raises PluginError: the exporter's optional library is missing (and how to install it).
    """
    pm = pm or default_plugin_manager()
    spec = plugins.exporter(pm, name)
    missing = plugins.missing_requirements(spec)
    if missing:
        raise plugins.PluginError(
            f"the {spec.name} exporter needs {', '.join(missing)}; "
            f"install it, e.g. pip install 'liushou[{spec.name}]'"
        )
    return spec


def exporter(name: str, *, pm: pluggy.PluginManager | None = None, **settings: Any) -> Any:
    """A new exporter of the format ``name`` (``csv``, ``json``, ``xlsx``, ...).

    ``settings`` go to the exporter's factory: for the table exporters
    ``lang``, ``unmask``, ``actor``, ``store``, ``policy``, ``progress``, and
    ``encoding`` for CSV (see :class:`TableExporter`).
    """
    return exporter_spec(name, pm).factory(**settings)


def table_formats(pm: pluggy.PluginManager | None = None) -> dict[str, ExporterSpec]:
    """The registered exporters that write tables (whatever their library's state)."""
    pm = pm or default_plugin_manager()
    return {
        name: spec
        for name, spec in plugins.exporters(pm).items()
        if isinstance(spec.factory, type) and issubclass(spec.factory, TableExporter)
    }
