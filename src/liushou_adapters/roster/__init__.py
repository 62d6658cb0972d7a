"""School rosters following the 2016 national survey form: templates and import.

A roster is a CSV file or an XLSX workbook with one pupil per row. Its columns
(:data:`COLUMNS`) follow the 农村留守儿童基本情况登记表: the child, the father and
the mother (with where they work and any circumstance bearing on their
capacity as guardians), the guardian and the care assessment, the
grandparents and the village committee. The first row holds the Chinese
headers, the second the English keys.

* :func:`write_template` writes a blank template (CSV, or XLSX with drop-down
  lists and text-formatted number columns);
* :func:`read_table` reads a roster (CSV in UTF-8, UTF-8 with BOM or GB18030,
  detected; or XLSX);
* :func:`build_children` turns its rows into :class:`~liushou_core.models.Child`
  records, merged with the school's stored pupils;
* :func:`import_roster` does both and writes the pupils, all or nothing.

Bad input of any kind raises :class:`RosterRejected`, which lists every
problem by line and column with the reason, in Chinese and English::

    from liushou_adapters.roster import RosterRejected, import_roster
    from liushou_core.privacy import SYSTEM

    try:
        result = import_roster(store, SYSTEM, "花名册.xlsx", school_id="S1")
    except RosterRejected as exc:
        print("\\n".join(exc.render("zh")))   # 第5行「身份证号」：……
"""

from liushou_adapters.roster.build import Plan, build_children
from liushou_adapters.roster.errors import RosterProblem, RosterRejected
from liushou_adapters.roster.importer import RosterResult, import_roster
from liushou_adapters.roster.layout import BY_KEY, COLUMNS, Column, Kind
from liushou_adapters.roster.read import Row, Table, read_table
from liushou_adapters.roster.template import FORMATS, TEMPLATE_NAME, write_template

__all__ = [
    "BY_KEY",
    "COLUMNS",
    "FORMATS",
    "TEMPLATE_NAME",
    "Column",
    "Kind",
    "Plan",
    "RosterProblem",
    "RosterRejected",
    "RosterResult",
    "Row",
    "Table",
    "build_children",
    "import_roster",
    "read_table",
    "write_template",
]
