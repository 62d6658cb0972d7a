"""Importing a roster into a store: all or nothing, idempotent by ID number."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import attrs

from liushou_adapters.roster.build import Plan, build_children, column_of
from liushou_adapters.roster.errors import RosterProblem, RosterRejected, file_problem
from liushou_adapters.roster.layout import BY_KEY
from liushou_adapters.roster.read import read_table
from liushou_core.errors import NotFound
from liushou_core.i18n import N_
from liushou_core.models import Child, School, SchoolClass
from liushou_core.ports import Store
from liushou_core.privacy import Actor
from liushou_core.services import ImportRejected, import_records

__all__ = ["RosterResult", "import_roster"]

#: ``progress(done, total)``; ``total`` is three steps per row: read and check, compare, write.
RosterProgress = Callable[[int, int], None]


@attrs.frozen
class RosterResult:
    """What :func:`import_roster` did: rows read, pupils added, updated, unchanged."""

    school_id: str
    rows: int
    added: int
    updated: int
    unchanged: int
    format: str

    @property
    def written(self) -> int:
        return self.added + self.updated


def import_roster(
    store: Store,
    actor: Actor,
    source: bytes | str | Path,
    *,
    school_id: str,
    progress: RosterProgress | None = None,
) -> RosterResult:
    """Import the pupils of a roster file (CSV or XLSX) into school ``school_id``.

    The file is read and every row checked first; if anything is wrong,
    :class:`~liushou_adapters.roster.RosterRejected` lists every problem by
    line and column, and nothing is written. Otherwise the pupils are written
    with :func:`liushou_core.services.import_records` in one unit of work:
    new pupils added, changed ones updated, equal ones left alone (importing
    the same file twice writes nothing the second time). The school must be
    stored; the actor must cover it
    (:class:`~liushou_core.privacy.FieldAccessDenied` otherwise).
    """
    table = read_table(source)
    n = len(table.rows)
    total = 3 * n
    with store.unit_of_work(actor.label, purpose=actor.purpose or "import", readonly=True) as uow:
        try:
            uow.get(School, school_id, school_id)
        except NotFound:
            raise RosterRejected(
                [
                    file_problem(
                        "ROSTER_UNKNOWN_SCHOOL",
                        N_("school {school} is not stored: store the school first"),
                        school=school_id,
                    )
                ],
                rows=n,
            ) from None
        classes = uow.list(SchoolClass, school_id)
        existing = uow.list(Child, school_id)

    def built(done: int) -> None:
        if progress is not None:
            progress(done, total)

    if progress is not None:
        progress(0, total)
    plan = build_children(
        table, school_id=school_id, existing=existing, classes=classes, progress=built
    )

    # Rows equal to the stored pupil are left out here, so that re-importing an
    # unchanged roster does not read the school's pupils a second time.
    stored = {c.id: c for c in existing}
    pending = [
        i
        for i, child in enumerate(plan.children)
        if (old := stored.get(child.id)) is None or attrs.evolve(child, version=old.version) != old
    ]
    skipped = n - len(pending)
    base = n + 2 * skipped

    def written(done: int, of: int) -> None:
        # import_records counts two steps per record: check, then write.
        if progress is not None:
            progress(base + done, total)

    if not pending:
        written(0, 0)
        return RosterResult(school_id, n, 0, 0, skipped, table.format)
    try:
        result = import_records(
            store,
            actor,
            [plan.children[i] for i in pending],
            sources=[plan.lines[i] for i in pending],
            progress=written,
        )
    except ImportRejected as exc:  # the store changed between our read and the write
        raise _rejected(exc, plan, pending) from None
    return RosterResult(
        school_id=school_id,
        rows=n,
        added=result.added,
        updated=result.updated,
        unchanged=result.unchanged + skipped,
        format=table.format,
    )


def _rejected(exc: ImportRejected, plan: Plan, pending: list[int]) -> RosterRejected:
    problems: list[RosterProblem] = []
    for record in exc.records:
        index = pending[record.index]
        line = plan.lines[index]
        for path, message in record.problems:
            key = column_of(path, plan.columns[index])
            column = BY_KEY.get(key) if key else None
            problems.append(
                RosterProblem(
                    line, column.header if column else "", column.key if column else "", message
                )
            )
    return RosterRejected(problems, rows=len(plan.lines))
