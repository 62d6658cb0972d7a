"""Reading and changing one child's record through the services, as an actor: access and audit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from stdnum.cn import ric

from liushou_adapters.storage import open_store
from liushou_adapters.storage.sqlite import SqliteStore
from liushou_core import synth
from liushou_core.models import Child, Pairing
from liushou_core.ports import AuditEntry, Store
from liushou_core.privacy import SYSTEM, Actor, FieldAccessDenied, Permission, Role
from liushou_core.services import load_school, read_child, update_child

ON = dt.date(2026, 11, 29)


@pytest.fixture(scope="module")
def school() -> synth.SyntheticSchool:
    return synth.school(seed=1, children=40)


@attrs.frozen
class Setup:
    store: Store
    sid: str
    child: Child
    mentor: Actor
    other_teacher: Actor
    principal: Actor


@pytest.fixture(params=["memory", "sqlite"])
def s(
    request: pytest.FixtureRequest, tmp_path: Path, school: synth.SyntheticSchool
) -> Iterator[Setup]:
    store: Store = (
        open_store("memory://")
        if request.param == "memory"
        else SqliteStore(tmp_path / "liushou.db")
    )
    load_school(store, SYSTEM, school)
    sid = school.school.id
    base = next(c for c in school.children if c.class_id and c.id_number)
    class_teachers = {k.class_teacher_id for k in school.classes}
    free = [t.id for t in school.teachers if t.id not in class_teachers]
    mentor_id, other_id = free[0], free[1]
    with store.unit_of_work("test") as uow:
        stored = uow.get(Child, sid, base.id)
        child = uow.update(attrs.evolve(stored, psychological_flag=True))
        uow.add(Pairing("P1", sid, "T2026", child.id, mentor_id, start=dt.date(2026, 9, 1)))
        uow.commit()
    yield Setup(
        store,
        sid,
        child,
        Actor(Role.MENTOR, mentor_id, schools=(sid,), purpose="home visit"),
        Actor(Role.MENTOR, other_id, schools=(sid,)),
        Actor(Role.PRINCIPAL, "principal-1", schools=(sid,), purpose="term review"),
    )
    store.close()


def other_id(child: Child) -> str:
    """A valid resident ID number for the same birth date, other than the child's."""
    old = str(child.id_number)
    base = old[:14] + ("001" if old[14:17] != "001" else "002")
    return base + ric.calc_check_digit(base + "0")


def reads(s: Setup) -> list[AuditEntry]:
    return list(
        s.store.audit_trail(school_id=s.sid, kind=Child, record_id=s.child.id, action="read")
    )


def test_mentor_sees_mentee_masked_with_psychological_flag(s: Setup) -> None:
    shown = read_child(s.store, s.mentor, s.sid, s.child.id, on=ON)
    assert shown.data["name"] == s.child.name
    assert shown.data["id_number"] != s.child.id_number
    assert "*" in shown.data["id_number"]
    assert "id_number" in shown.masked
    assert shown.data["psychological_flag"] is True
    assert not shown.unmasked
    [entry] = reads(s)
    assert entry.actor == s.mentor.label
    assert entry.purpose == "home visit"
    assert "psychological_flag" in entry.fields
    assert "id_number" in entry.fields
    assert set(entry.fields) == {p.partition(".")[0] for p in shown.fields} - {"version"}
    assert entry.old_version == entry.new_version == s.child.version


def test_pairing_outside_its_dates_does_not_count(s: Setup) -> None:
    with pytest.raises(FieldAccessDenied):
        read_child(s.store, s.mentor, s.sid, s.child.id, on=dt.date(2026, 8, 1))
    assert reads(s) == []


def test_other_teacher_is_refused_and_nothing_recorded(s: Setup) -> None:
    with pytest.raises(FieldAccessDenied) as info:
        read_child(s.store, s.other_teacher, s.sid, s.child.id, on=ON)
    assert s.child.id in str(info.value) or info.value.reasons
    assert reads(s) == []


def test_principal_sees_child_of_the_school_without_psychological_flag(s: Setup) -> None:
    shown = read_child(s.store, s.principal, s.sid, s.child.id, on=ON)
    assert "psychological_flag" not in shown.data
    assert "psychological_flag" in shown.hidden
    assert "*" in shown.data["id_number"]
    [entry] = reads(s)
    assert entry.actor == "principal:principal-1"
    assert entry.purpose == "term review"
    assert "psychological_flag" not in entry.fields


def test_read_without_purpose_is_recorded_as_read(s: Setup) -> None:
    principal = attrs.evolve(s.principal, purpose="")
    read_child(s.store, principal, s.sid, s.child.id, on=ON)
    read_child(s.store, principal, s.sid, s.child.id, on=ON)
    entries = reads(s)
    assert len(entries) == 2
    assert {e.purpose for e in entries} == {"read"}


def test_principal_unmasks_id_with_purpose(s: Setup) -> None:
    shown = read_child(s.store, s.principal, s.sid, s.child.id, on=ON, unmask={"id_number"})
    assert shown.data["id_number"] == str(s.child.id_number)
    assert "id_number" in shown.unmasked
    [entry] = reads(s)
    assert "id_number" in entry.fields


def test_mentor_may_not_unmask_id(s: Setup) -> None:
    shown = read_child(s.store, s.mentor, s.sid, s.child.id, on=ON, unmask=True)
    assert "*" in shown.data["id_number"]
    assert "id_number" not in shown.unmasked


def test_unmask_without_purpose_is_refused(s: Setup) -> None:
    principal = attrs.evolve(s.principal, purpose="")
    with pytest.raises(FieldAccessDenied):
        read_child(s.store, principal, s.sid, s.child.id, on=ON, unmask=True)
    assert reads(s) == []


def test_forbidden_update_raises_and_writes_nothing(s: Setup) -> None:
    changed = attrs.evolve(s.child, id_number=other_id(s.child))
    with pytest.raises(FieldAccessDenied) as info:
        update_child(s.store, s.mentor, changed, on=ON)
    assert info.value.fields == ("id_number",)
    with pytest.raises(FieldAccessDenied):
        update_child(s.store, s.other_teacher, attrs.evolve(s.child, behaviour_flag=True), on=ON)
    with s.store.unit_of_work("test", readonly=True) as uow:
        assert uow.get(Child, s.sid, s.child.id) == s.child
    updates = s.store.audit_trail(
        school_id=s.sid, kind=Child, record_id=s.child.id, action="update"
    )
    assert [e.actor for e in updates] == ["test"]  # the fixture's only


def test_allowed_update_bumps_version_and_is_audited(s: Setup) -> None:
    stored = update_child(s.store, s.mentor, attrs.evolve(s.child, behaviour_flag=True), on=ON)
    assert stored.version == s.child.version + 1
    assert stored.behaviour_flag is True
    updates = s.store.audit_trail(
        school_id=s.sid, kind=Child, record_id=s.child.id, action="update"
    )
    assert updates[-1].actor == s.mentor.label
    assert updates[-1].purpose == "home visit"
    assert updates[-1].fields == ("behaviour_flag",)


def test_holder_of_unmask_id_writes_id_number(s: Setup) -> None:
    # A mentor given UNMASK_ID as a person may write the ID number; the principal's role holds it.
    mentor = attrs.evolve(s.mentor, permissions=(Permission.UNMASK_ID,))
    stored = update_child(
        s.store, mentor, attrs.evolve(s.child, id_number=other_id(s.child)), on=ON
    )
    assert str(stored.id_number) == other_id(s.child)
    stored = update_child(
        s.store, s.principal, attrs.evolve(stored, id_number=s.child.id_number), on=ON
    )
    assert stored.id_number == s.child.id_number
    assert stored.version == s.child.version + 2


def test_read_children_shows_only_the_mentees_and_audits_each_view(s: Setup) -> None:
    from liushou_core.services import read_children

    seen = read_children(s.store, s.mentor, s.sid, on=ON)
    assert [v.data["id"] for v in seen] == [s.child.id]
    assert seen[0].data["psychological_flag"] is True
    assert [e.record_id for e in reads(s)] == [s.child.id]
    assert read_children(s.store, s.other_teacher, s.sid, on=ON) == []
    everyone = read_children(s.store, s.principal, s.sid, on=ON)
    assert len(everyone) == 40
    assert all("psychological_flag" not in v.data for v in everyone)
    assert len(reads(s)) == 2  # the mentor's and the principal's
    assert len(s.store.audit_trail(school_id=s.sid, action="read")) == 41


def test_read_children_leaves_out_children_without_the_consent_needed(s: Setup) -> None:
    from liushou_core.privacy import Processing
    from liushou_core.services import read_children

    care = read_children(s.store, s.principal, s.sid, on=ON, processing=Processing.CARE_PROGRAMME)
    assert all(v.data["birth_date"] <= "2012-11-29" for v in care)  # 14 or over only
    register = read_children(s.store, s.principal, s.sid, on=ON)
    assert len(register) > len(care)
