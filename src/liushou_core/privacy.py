"""Who may see and change what of a child's records: roles, field access, masking.

The records are of minors (PIPL art. 28, 31, 51; 儿童个人信息网络保护规定): every
service call takes an :class:`Actor` (a person acting in a :class:`Role`, for
some schools and a purpose), and this module decides, as pure functions of
records and an :class:`AccessPolicy`:

- **whose** records the actor may see (:func:`relation_to` builds the
  :class:`Relation` of the actor to a child from pairings and classes,
  :func:`can_see` gives a :class:`Decision` with its reasons in Chinese and
  English);
- **which fields** of them (:func:`view` returns a :class:`View` holding only
  the permitted fields, ID and phone numbers masked unless unmasking was asked
  for and permitted, and lists what was hidden, masked and unmasked for the
  audit trail);
- whether a **change** is allowed (:func:`check_write` raises
  :class:`FieldAccessDenied`, a :class:`~liushou_core.errors.PermissionDenied`
  naming the forbidden fields);
- which **counts** may leave the school (:func:`suppress_small`).

The policy is data (:class:`FieldRule`, :class:`RolePolicy`): a county changes it
with a plain dict (:meth:`AccessPolicy.merged`) without code.
:data:`DEFAULT_ACCESS_POLICY` encodes the rules of the privacy issue; see
``docs/privacy.md`` for the model in plain words.

Field paths are dotted attribute names as in the converter's plain data
(:func:`liushou_core.convert.unstructure`), without list indices:
``parents.phone`` is the phone of every parent. A rule on a path covers what
lies beneath it (``health`` covers ``health.illness``) unless a rule on a
longer path says otherwise; what a rule leaves unset for a role comes from the
rule on the enclosing path, and finally from the role's default.

Nothing here reads a clock, does I/O or keeps state between calls.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping
from enum import StrEnum
from typing import Any, Final, TypeVar, cast

import attrs

from liushou_core.dated import Dated
from liushou_core.errors import InvalidRecord, PermissionDenied
from liushou_core.i18n import DEFAULT_LANG, N_, Message
from liushou_core.masking import mask_id, mask_phone, mask_text
from liushou_core.models.child import Child
from liushou_core.models.consent import Consent
from liushou_core.models.pairing import MentorKind, Pairing
from liushou_core.models.school import SchoolClass
from liushou_core.validate import FieldProblem, name, text

__all__ = [
    "DEFAULT_ACCESS_POLICY",
    "DEFAULT_CONSENT_POLICY",
    "DEFAULT_RETENTION_POLICY",
    "ERASED",
    "MASKERS",
    "PURGED_PURPOSE",
    "SYSTEM",
    "Access",
    "AccessPolicy",
    "Actor",
    "ConsentPolicy",
    "ConsentRequired",
    "Decision",
    "FieldAccess",
    "FieldAccessDenied",
    "FieldRule",
    "Permission",
    "Processing",
    "PurgeBasis",
    "Relation",
    "RetentionPolicy",
    "RetentionStatus",
    "Role",
    "RolePolicy",
    "Scope",
    "View",
    "can_see",
    "changed_paths",
    "check_write",
    "consent_decision",
    "kind_of",
    "left_programme_on",
    "mask_name",
    "mask_student_number",
    "relation_to",
    "relation_to_school",
    "require_consent",
    "retention_status",
    "scrub_child",
    "suppress_small",
    "view",
]

K = TypeVar("K", bound=Hashable)


class Role(StrEnum):
    """Roles of the people (and the system) who act on records."""

    MENTOR = N_("mentor")
    CLASS_TEACHER = N_("class teacher")
    PSYCHOLOGIST = N_("school psychologist or health officer")
    PRINCIPAL = N_("principal")
    DISTRICT_OFFICER = N_("district officer")
    VOLUNTEER = N_("volunteer proxy parent")
    SYSTEM = N_("system")


class Permission(StrEnum):
    """What a person may do beyond their role's field access.

    A role holds the permissions its :class:`RolePolicy` lists; a person may be
    given more (:attr:`Actor.permissions`).

    - ``UNMASK_ID`` / ``UNMASK_PHONE``: see ID (student) numbers / phone numbers
      in full where the policy shows them masked, when asking for it
      (``view(..., unmask=True)``) with a recorded purpose; the caller audits
      every unmasked field. They also allow writing those fields.
    - ``READ_PSYCH`` / ``READ_HEALTH``: read the psychological flags / the health
      details whatever the role (for instance a principal handling a crisis).
    - ``EXPORT_UNMASKED``: export files without masking (checked by exporters).
    - ``PURGE``: purge a child's personal data (:func:`liushou_core.services.purge_child`).
    - ``READ_AUDIT``: read the audit trail of the records in scope (``liushou audit``).
    """

    UNMASK_ID = N_("unmask ID numbers")
    UNMASK_PHONE = N_("unmask phone numbers")
    READ_PSYCH = N_("read psychological notes")
    READ_HEALTH = N_("read health details")
    EXPORT_UNMASKED = N_("export unmasked")
    PURGE = N_("purge personal data")
    READ_AUDIT = N_("read the audit trail")


class Access(StrEnum):
    """How a role sees a field: not at all, masked, or in full."""

    NONE = N_("hidden")
    MASKED = N_("masked")
    FULL = N_("full")


class Scope(StrEnum):
    """Whose single records a role sees (any of its scopes suffices)."""

    OWN_MENTEES = N_("own mentees")  # children paired with the person (Pairing)
    OWN_CLASS = N_("own class")  # children of the class the person is class teacher of
    OWN_SCHOOL = N_("own school")  # children of a school listed in Actor.schools
    SCHOOLS_IN_SCOPE = N_("schools in scope")  # Actor.covers(); empty scope = the county
    ALL = N_("all records")  # the system actor


def _scope(value: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return tuple(sorted({name(v) for v in value}))


def _permissions(value: Iterable[Permission | str]) -> tuple[Permission, ...]:
    if isinstance(value, str):
        raise TypeError("permissions must be a list of permissions, not a single string")
    return tuple(sorted({Permission(p) for p in value}))


@attrs.frozen
class Actor:
    """A person (or the system) acting in a role, within a school scope, for a purpose.

    ``schools`` lists the school ids the actor may act on; an empty scope with
    the district-officer or system role means the whole county. ``purpose`` is
    recorded with every audit entry; a district officer needs one to read a
    single child's record, and anybody needs one to unmask ID or phone numbers.
    ``permissions`` are given to this person on top of those of the role in
    the access policy (:meth:`AccessPolicy.permissions_of`).
    """

    role: Role
    person_id: str = attrs.field(converter=name)
    schools: tuple[str, ...] = attrs.field(default=(), converter=_scope)
    purpose: str = attrs.field(default="", converter=text)
    permissions: tuple[Permission, ...] = attrs.field(default=(), converter=_permissions)

    def covers(self, school_id: str) -> bool:
        """Whether ``school_id`` lies in the actor's scope."""
        if not self.schools:
            return self.role in (Role.DISTRICT_OFFICER, Role.SYSTEM)
        return school_id in self.schools

    @property
    def label(self) -> str:
        """``role:person`` as written to the audit trail."""
        return f"{self.role.value}:{self.person_id}"


#: The actor of background jobs and the demo.
SYSTEM = Actor(Role.SYSTEM, "liushou")

#: The purpose a purge leaves in the audit entries of a purged child's records
#: (their own purposes were free text that may have named the child).
PURGED_PURPOSE: Final = "[purged]"


# --------------------------------------------------------------------------- masking


def mask_name(value: str) -> str:
    """Keep the first character of a name: ``王**``."""
    return value[:1] + "*" * (len(value) - 1)


def mask_student_number(value: str) -> str:
    """Mask a national student number like the ID number inside it: ``G110105********002X``."""
    return value[:1] + mask_id(value[1:]) if len(value) == 19 else mask_id(value)


def _scrub(value: str) -> str:
    """Mask ID and phone numbers inside free text; text without any is returned as it is."""
    if not any(c.isdigit() for c in value):
        return value
    masked = mask_text(value)
    return masked if masked.count("*") > value.count("*") else value


#: Maskers a :class:`FieldRule` may name, by name. ``id``, ``phone`` and
#: ``student_number`` mask a number field; ``name`` keeps a name's first
#: character; ``text`` (the default) masks numbers inside free text.
MASKERS: Final[Mapping[str, Callable[[str], str]]] = {
    "id": mask_id,
    "phone": mask_phone,
    "student_number": mask_student_number,
    "name": mask_name,
    "text": _scrub,
}
_NUMBER_MASKERS: Final = frozenset({"id", "phone", "student_number"})


# --------------------------------------------------------------------------- the policy

_KIND_RE: Final = re.compile(r"[a-z_][a-z0-9_]*")
_PATH_RE: Final = re.compile(r"(?:[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*)?")


def _kind(value: Any) -> str:
    if not isinstance(value, str) or not _KIND_RE.fullmatch(value):
        raise FieldProblem(
            Message("POLICY_KIND", N_("not a record kind such as child or health_check"))
        )
    return value


def _path(value: Any) -> str:
    if not isinstance(value, str) or not _PATH_RE.fullmatch(value):
        raise FieldProblem(
            Message("POLICY_PATH", N_("not a field path such as parents.phone (or empty)"))
        )
    return value


def _masker(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and value in MASKERS):
        return value
    raise FieldProblem(
        Message("POLICY_MASKER", N_("not one of: {choices}"), {"choices": ", ".join(MASKERS)})
    )


def _kinds(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        raise FieldProblem(Message("EXPECTED_LIST", N_("expected a list")))
    return tuple(_kind(v) for v in value)


def _min_count(value: Any) -> int:
    if type(value) is not int or value < 1:
        raise FieldProblem(Message("POLICY_MIN_COUNT", N_("expected a whole number from 1")))
    return value


@attrs.frozen
class FieldRule:
    """The access of each role to one field (``path``) of one kind of record.

    ``kind`` is the record kind (:func:`kind_of`: ``child``, ``health_check``,
    ``diary_entry``, ...); ``path`` a dotted field path (``parents.phone``), or
    ``""`` for the whole record. A role left ``None`` takes its access from the
    rule on the enclosing path, or else from its :attr:`RolePolicy.default`.

    ``unmask`` names the permission that shows a ``masked`` field in full (on
    request) and allows writing it; ``grant`` the permission that shows the
    field in full to anyone holding it; ``masker`` how a ``masked`` value is
    masked (one of :data:`MASKERS`; ``None`` inherits, finally ``text``).
    ``unmask``, ``grant`` and ``masker`` are inherited from enclosing rules too.
    """

    kind: str = attrs.field(converter=_kind)
    path: str = attrs.field(default="", converter=_path)
    mentor: Access | None = None
    class_teacher: Access | None = None
    psychologist: Access | None = None
    principal: Access | None = None
    district_officer: Access | None = None
    volunteer: Access | None = None
    system: Access | None = None
    unmask: Permission | None = None
    grant: Permission | None = None
    masker: str | None = attrs.field(default=None, converter=_masker)

    def for_role(self, role: Role) -> Access | None:
        """The access this rule sets for ``role`` (``None``: not set here)."""
        return cast("Access | None", getattr(self, role.name.lower()))


@attrs.frozen
class RolePolicy:
    """What a role sees and holds, apart from the field rules.

    ``default`` is the access to fields no rule covers; ``scopes`` whose single
    records the role sees (none: aggregates only); ``permissions`` those every
    holder of the role has; ``purpose_required`` whether reading a single
    child's record needs a recorded purpose; ``purpose_to_unmask`` whether
    unmasking needs one.
    """

    role: Role
    default: Access = Access.FULL
    scopes: tuple[Scope, ...] = ()
    permissions: tuple[Permission, ...] = ()
    purpose_required: bool = False
    purpose_to_unmask: bool = True


@attrs.frozen
class FieldAccess:
    """The resolved rule of a role for one field: access, unmask and grant permissions, masker."""

    access: Access
    unmask: Permission | None = None
    grant: Permission | None = None
    masker: str = "text"


def _prefixes(path: str) -> Iterable[str]:
    """``a.b.c``, ``a.b``, ``a``, ``""``: the path and the paths enclosing it."""
    while path:
        yield path
        path = path.rpartition(".")[0]
    yield ""


_NO_ROLE: Final = {role: RolePolicy(role, default=Access.NONE) for role in Role}


@attrs.frozen
class AccessPolicy:
    """The field access policy: per-role settings and per-field rules, as plain data.

    Build a changed policy with :meth:`with_rule`, :meth:`with_role` or
    :meth:`merged` (a partial dict, as a county would write it in its
    settings); :meth:`to_data` and :meth:`from_data` give and take the whole
    policy as plain data (JSON shapes, through :mod:`liushou_core.convert`).

    A role the policy does not list sees nothing and holds no permission.
    ``audited_kinds`` are the record kinds whose every read is audited
    (:attr:`View.full_record`); ``min_count`` the smallest count shown in
    figures that leave the school (:func:`suppress_small`).
    """

    roles: tuple[RolePolicy, ...]
    rules: tuple[FieldRule, ...] = ()
    audited_kinds: tuple[str, ...] = attrs.field(
        default=("child", "diary_entry", "health_check", "household", "incident"),
        converter=_kinds,
    )
    min_count: int = attrs.field(default=5, converter=_min_count)
    _by_role: dict[Role, RolePolicy] = attrs.field(
        init=False, eq=False, hash=False, repr=False, factory=dict
    )
    _by_path: dict[tuple[str, str], FieldRule] = attrs.field(
        init=False, eq=False, hash=False, repr=False, factory=dict
    )
    _enclosing: frozenset[tuple[str, str]] = attrs.field(
        init=False, eq=False, hash=False, repr=False, default=frozenset()
    )
    _resolved: dict[tuple[Role, str, str], FieldAccess] = attrs.field(
        init=False, eq=False, hash=False, repr=False, factory=dict
    )

    def __attrs_post_init__(self) -> None:
        by_role: dict[Role, RolePolicy] = {}
        for rp in self.roles:
            if rp.role in by_role:
                raise FieldProblem(
                    Message(
                        "POLICY_ROLE_TWICE",
                        N_("the role {role} is listed more than once"),
                        {"role": rp.role.value},
                    ),
                    field="roles",
                )
            by_role[rp.role] = rp
        by_path: dict[tuple[str, str], FieldRule] = {}
        enclosing: set[tuple[str, str]] = set()
        for rule in self.rules:
            key = (rule.kind, rule.path)
            if key in by_path:
                raise FieldProblem(
                    Message(
                        "POLICY_RULE_TWICE",
                        N_("more than one rule for {kind} {path}"),
                        {"kind": rule.kind, "path": rule.path or '""'},
                    ),
                    field="rules",
                )
            by_path[key] = rule
            enclosing.update((rule.kind, p) for p in list(_prefixes(rule.path))[1:])
        # The caches hold no state a caller could observe: they are functions of the data.
        object.__setattr__(self, "_by_role", by_role)
        object.__setattr__(self, "_by_path", by_path)
        object.__setattr__(self, "_enclosing", frozenset(enclosing))
        object.__setattr__(self, "_resolved", {})

    # ------------------------------------------------------------------ look-ups

    def role(self, role: Role) -> RolePolicy:
        """The settings of ``role`` (a role not listed: sees nothing, holds nothing)."""
        return self._by_role.get(role) or _NO_ROLE[role]

    def rule(self, kind: str, path: str = "") -> FieldRule | None:
        """The rule written for exactly ``kind`` and ``path``, if any."""
        return self._by_path.get((kind, path))

    def resolve(self, role: Role, kind: str, path: str) -> FieldAccess:
        """The rule of ``role`` for the field ``path`` of ``kind`` records, inheritance applied."""
        key = (role, kind, path)
        found = self._resolved.get(key)
        if found is not None:
            return found
        access: Access | None = None
        unmask: Permission | None = None
        grant: Permission | None = None
        masker: str | None = None
        for prefix in _prefixes(path):
            rule = self._by_path.get((kind, prefix))
            if rule is None:
                continue
            access = access or rule.for_role(role)
            unmask = unmask or rule.unmask
            grant = grant or rule.grant
            masker = masker or rule.masker
        result = FieldAccess(access or self.role(role).default, unmask, grant, masker or "text")
        self._resolved[key] = result
        return result

    def access(self, role: Role, kind: str, path: str) -> Access:
        """The access ``role`` has to ``path`` of ``kind`` records, before permissions."""
        return self.resolve(role, kind, path).access

    def has_rules_below(self, kind: str, path: str) -> bool:
        """Whether some rule is written for a field inside ``path``."""
        return (kind, path) in self._enclosing

    def permissions_of(self, actor: Actor) -> frozenset[Permission]:
        """The actor's permissions: those of the role and those given to the person."""
        return frozenset(self.role(actor.role).permissions) | frozenset(actor.permissions)

    def may(self, actor: Actor, permission: Permission) -> bool:
        """Whether ``actor`` holds ``permission``."""
        return permission in self.permissions_of(actor)

    def read_access(self, actor: Actor, kind: str, path: str, *, unmask: bool = False) -> Access:
        """How ``actor`` sees the field: permissions applied, ``unmask`` asked for or not."""
        return _read_access(
            self.resolve(actor.role, kind, path), self.permissions_of(actor), unmask
        )

    def write_access(self, actor: Actor, kind: str, path: str) -> Access:
        """The actor's access for writing the field: ``FULL`` is needed to change it."""
        return _write_access(self.resolve(actor.role, kind, path), self.permissions_of(actor))

    # ------------------------------------------------------------------ changes

    def with_rule(self, rule: FieldRule) -> AccessPolicy:
        """This policy with ``rule`` replacing the rule for the same kind and path (or added)."""
        rest = tuple(r for r in self.rules if (r.kind, r.path) != (rule.kind, rule.path))
        return attrs.evolve(self, rules=(*rest, rule))

    def without_rule(self, kind: str, path: str = "") -> AccessPolicy:
        """This policy without the rule for ``kind`` and ``path``."""
        return attrs.evolve(
            self, rules=tuple(r for r in self.rules if (r.kind, r.path) != (kind, path))
        )

    def with_role(self, settings: RolePolicy) -> AccessPolicy:
        """This policy with ``settings`` replacing those of the same role."""
        rest = tuple(r for r in self.roles if r.role is not settings.role)
        return attrs.evolve(self, roles=(*rest, settings))

    def to_data(self) -> dict[str, Any]:
        """The policy as plain data (JSON shapes); rules omit the keys they leave unset."""
        from liushou_core.convert import unstructure

        data: dict[str, Any] = unstructure(self)
        data["rules"] = [{k: v for k, v in r.items() if v is not None} for r in data["rules"]]
        return data

    @classmethod
    def from_data(cls, data: Any) -> AccessPolicy:
        """A policy from plain data as :meth:`to_data` gives it.

        Raises :class:`~liushou_core.errors.InvalidRecord` naming every problem.
        """
        from liushou_core.convert import structure

        return structure(data, cls)

    def merged(self, changes: Mapping[str, Any]) -> AccessPolicy:
        """This policy changed by a partial dict, as a county writes it in its settings.

        ``roles`` entries change the listed keys of the role named by ``role``;
        ``rules`` entries the listed keys of the rule for ``kind`` and ``path``
        (added when there is none; a key set to ``None`` goes back to
        inheriting); ``audited_kinds`` and ``min_count`` replace. For example::

            {"rules": [{"kind": "child", "path": "behaviour_flag", "principal": "full"}],
             "roles": [{"role": "class teacher",
                        "permissions": ["unmask phone numbers", "read psychological notes"]}]}

        Raises :class:`~liushou_core.errors.InvalidRecord` naming every problem.
        """
        data = self.to_data()
        for key, value in changes.items():
            if key == "roles":
                roles = {r["role"]: r for r in data["roles"]}
                for entry in _entries(value, "roles"):
                    roles[entry.get("role")] = {**roles.get(entry.get("role"), {}), **entry}
                data["roles"] = list(roles.values())
            elif key == "rules":
                rules = {(r["kind"], r.get("path", "")): r for r in data["rules"]}
                for entry in _entries(value, "rules"):
                    k = (entry.get("kind"), entry.get("path", ""))
                    rules[k] = {**rules.get(k, {}), **entry}
                data["rules"] = list(rules.values())
            else:
                data[key] = value
        return AccessPolicy.from_data(data)


def _entries(value: Any, key: str) -> list[Mapping[str, Any]]:
    if not isinstance(value, list | tuple):
        raise InvalidRecord(
            [(f"$.{key}", Message("EXPECTED_LIST", N_("expected a list")))], what="AccessPolicy"
        )
    bad = [
        (f"$.{key}[{i}]", Message("EXPECTED_OBJECT", N_("expected an object")))
        for i, e in enumerate(value)
        if not isinstance(e, Mapping)
    ]
    if bad:
        raise InvalidRecord(bad, what="AccessPolicy")
    return list(value)


def _read_access(fa: FieldAccess, perms: Collection[Permission], unmask: bool) -> Access:
    if fa.grant is not None and fa.grant in perms:
        return Access.FULL
    if fa.access is Access.MASKED and unmask and fa.unmask is not None and fa.unmask in perms:
        return Access.FULL
    return fa.access


def _write_access(fa: FieldAccess, perms: Collection[Permission]) -> Access:
    if fa.access is Access.MASKED and fa.unmask is not None and fa.unmask in perms:
        return Access.FULL
    return fa.access


def _rule(
    kind: str,
    path: str,
    others: Access | None = None,
    *,
    unmask: Permission | None = None,
    grant: Permission | None = None,
    masker: str | None = None,
    **roles: Access,
) -> FieldRule:
    """A rule giving every person's role ``others`` unless named (the system is left unset)."""
    values: dict[str, Any] = {
        r.name.lower(): others for r in Role if r is not Role.SYSTEM and others is not None
    }
    values.update(roles)
    return FieldRule(kind, path, unmask=unmask, grant=grant, masker=masker, **values)


_F, _M, _N = Access.FULL, Access.MASKED, Access.NONE


def _id_rule(kind: str, path: str, masker: str = "id") -> FieldRule:
    return _rule(
        kind, path, _M, volunteer=_N, system=_M, unmask=Permission.UNMASK_ID, masker=masker
    )


def _phone_rule(kind: str, path: str) -> FieldRule:
    return _rule(kind, path, _M, system=_M, unmask=Permission.UNMASK_PHONE, masker="phone")


#: The policy of the privacy issue (see ``docs/privacy.md`` for the table in words).
DEFAULT_ACCESS_POLICY: Final = AccessPolicy(
    roles=(
        RolePolicy(
            Role.MENTOR, scopes=(Scope.OWN_MENTEES,), permissions=(Permission.UNMASK_PHONE,)
        ),
        RolePolicy(
            Role.CLASS_TEACHER, scopes=(Scope.OWN_CLASS,), permissions=(Permission.UNMASK_PHONE,)
        ),
        RolePolicy(
            Role.PSYCHOLOGIST, scopes=(Scope.OWN_SCHOOL,), permissions=(Permission.UNMASK_PHONE,)
        ),
        RolePolicy(
            Role.PRINCIPAL,
            scopes=(Scope.OWN_SCHOOL,),
            permissions=(
                Permission.UNMASK_ID,
                Permission.UNMASK_PHONE,
                Permission.PURGE,
                Permission.READ_AUDIT,
            ),
        ),
        RolePolicy(
            Role.DISTRICT_OFFICER,
            scopes=(Scope.SCHOOLS_IN_SCOPE,),
            permissions=(Permission.READ_AUDIT,),
            purpose_required=True,
        ),
        RolePolicy(Role.VOLUNTEER, scopes=(Scope.OWN_MENTEES,)),
        RolePolicy(
            Role.SYSTEM, scopes=(Scope.ALL,), permissions=tuple(Permission), purpose_to_unmask=False
        ),
    ),
    rules=(
        # The child: numbers masked for everyone, never shown to volunteers.
        _id_rule("child", "id_number"),
        _id_rule("child", "student_number", "student_number"),
        _id_rule("child", "parents.id_number"),
        _id_rule("child", "guardians.id_number"),
        _phone_rule("child", "parents.phone"),
        _phone_rule("child", "guardians.phone"),
        _phone_rule("child", "emergency_contacts.phone"),
        _phone_rule("child", "village_committee.phone"),
        # Health: the status for all; a disability (aid, accommodations) for staff and
        # the district; the illness for those who care for the child day to day.
        _rule(
            "child", "health", _N, mentor=_F, class_teacher=_F, psychologist=_F,
            grant=Permission.READ_HEALTH,
        ),
        _rule("child", "health.status", _F),
        _rule(
            "child", "health.disability", _F, volunteer=_N, grant=Permission.READ_HEALTH
        ),
        # Psychological and behaviour flags: the mentor and the psychologist (and the
        # class teacher for behaviour).
        _rule(
            "child", "psychological_flag", _N, mentor=_F, psychologist=_F,
            grant=Permission.READ_PSYCH,
        ),
        _rule(
            "child", "behaviour_flag", _N, mentor=_F, class_teacher=_F, psychologist=_F,
            grant=Permission.READ_PSYCH,
        ),
        # What a volunteer proxy parent does not need: parents' custody, illness or
        # imprisonment, a carer's disqualifications, the household's poverty status.
        _rule("child", "parents.conditions", volunteer=_N),
        _rule("child", "guardians.disqualifications", volunteer=_N),
        _rule("child", "household_id", volunteer=_N),
        # Health checks: the findings like the illness; volunteers see none.
        _rule("health_check", "", volunteer=_N),
        _rule(
            "health_check", "findings", _N, mentor=_F, class_teacher=_F, psychologist=_F,
            grant=Permission.READ_HEALTH,
        ),
        # Growth diaries are the school's: the district sees that they are kept, not what
        # they say.
        _rule("diary_entry", "text", district_officer=_N),
        # Incidents, households and aid decisions: not for volunteers.
        _rule("incident", "", volunteer=_N),
        _rule("household", "", volunteer=_N),
        _rule("aid_decision", "", volunteer=_N),
        # Staff and volunteers' own numbers; the criminal-record check for the principal.
        _id_rule("teacher", "id_number"),
        _phone_rule("teacher", "phone"),
        _id_rule("volunteer", "id_number"),
        _phone_rule("volunteer", "phone"),
        _rule("volunteer", "record_check", _N, principal=_F),
    ),
)  # fmt: skip


# --------------------------------------------------------------------------- relations


def kind_of(record: object) -> str:
    """The record kind the policy uses: ``Child`` -> ``child``, ``HealthCheck`` -> ``health_check``.

    Takes a record or its class.
    """
    cls = record if isinstance(record, type) else type(record)
    return re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()


@attrs.frozen
class Relation:
    """How an actor stands to the child(ren) a record is about, built by :func:`relation_to`.

    ``school_id`` is the record's school and ``child_ids`` the children the
    relation was built for (empty for records about no child). The flags:
    the actor is a mentor paired with the child (``mentor_of_child``), the
    class teacher of the child's class (``class_teacher_of_child``), works at
    the child's school (``same_school``: listed in ``Actor.schools``), and
    the school lies in the actor's scope (``in_scope``: :meth:`Actor.covers`).

    ``a | b`` joins relations of one school (for an incident about several
    children: the actor sees it if they may see one of them).
    """

    school_id: str
    child_ids: tuple[str, ...] = ()
    mentor_of_child: bool = False
    class_teacher_of_child: bool = False
    same_school: bool = False
    in_scope: bool = False

    def __or__(self, other: Relation) -> Relation:
        if not isinstance(other, Relation):
            return NotImplemented
        if other.school_id != self.school_id:
            raise ValueError("relations of different schools cannot be joined")
        return Relation(
            self.school_id,
            tuple(dict.fromkeys((*self.child_ids, *other.child_ids))),
            self.mentor_of_child or other.mentor_of_child,
            self.class_teacher_of_child or other.class_teacher_of_child,
            self.same_school or other.same_school,
            self.in_scope or other.in_scope,
        )


def relation_to(
    actor: Actor,
    child: Child,
    *,
    pairings: Iterable[Pairing] = (),
    classes: Iterable[SchoolClass] = (),
    on: dt.date | None = None,
) -> Relation:
    """The relation of ``actor`` to ``child`` (a :class:`~liushou_core.models.Child`).

    ``pairings`` are :class:`~liushou_core.models.Pairing` records (any; those
    of this child, this mentor and this school count: a volunteer's pairing
    for the volunteer role, a teacher's for the others; with ``on``, only
    pairings whose dates cover that day); ``classes`` are
    :class:`~liushou_core.models.SchoolClass` records (the child's class counts
    when the actor is its class teacher).
    """
    kind = MentorKind.VOLUNTEER if actor.role is Role.VOLUNTEER else MentorKind.TEACHER
    mentor = any(
        p.child_id == child.id
        and p.school_id == child.school_id
        and p.mentor_id == actor.person_id
        and p.mentor_kind is kind
        and (on is None or ((p.start is None or p.start <= on) and (p.end is None or on <= p.end)))
        for p in pairings
    )
    class_teacher = child.class_id is not None and any(
        c.id == child.class_id
        and c.school_id == child.school_id
        and c.class_teacher_id == actor.person_id
        for c in classes
    )
    return Relation(
        child.school_id,
        (child.id,),
        mentor_of_child=mentor,
        class_teacher_of_child=class_teacher,
        same_school=child.school_id in actor.schools,
        in_scope=actor.covers(child.school_id),
    )


def relation_to_school(actor: Actor, school_id: str) -> Relation:
    """The relation of ``actor`` to a record about no child (a teacher, a volunteer)."""
    return Relation(
        school_id, (), same_school=school_id in actor.schools, in_scope=actor.covers(school_id)
    )


# --------------------------------------------------------------------------- decisions


@attrs.frozen
class Decision:
    """Whether an actor may see a record, with the reasons (translatable)."""

    allowed: bool
    reasons: tuple[Message, ...] = ()

    def render(self, lang: str = DEFAULT_LANG) -> list[str]:
        """The reasons in ``lang``."""
        return [mask_text(m.render(lang)) for m in self.reasons]


def _record_name(record: Any, relation: Relation) -> str:
    return ", ".join(relation.child_ids) or str(getattr(record, "id", "")) or kind_of(record)


#: Per scope: the relation flag it needs, and the reasons when it holds and when not.
_SCOPE_REASONS: Final[Mapping[Scope, tuple[str, tuple[str, str], tuple[str, str]]]] = {
    Scope.OWN_MENTEES: (
        "mentor_of_child",
        (
            "ACCESS_MENTEE",
            N_("A {role} sees only their own mentees; {child} is paired with {person}."),
        ),
        (
            "ACCESS_NOT_MENTEE",
            N_("A {role} sees only their own mentees; {child} is not paired with {person}."),
        ),
    ),
    Scope.OWN_CLASS: (
        "class_teacher_of_child",
        (
            "ACCESS_CLASS",
            N_(
                "A {role} sees only the children of their own class; "
                "{child} is in the class of {person}."
            ),
        ),
        (
            "ACCESS_NOT_CLASS",
            N_(
                "A {role} sees only the children of their own class; "
                "{child} is not in the class of {person}."
            ),
        ),
    ),
    Scope.OWN_SCHOOL: (
        "same_school",
        (
            "ACCESS_SCHOOL",
            N_(
                "A {role} sees only the children of their own school; "
                "school {school} is the school of {person}."
            ),
        ),
        (
            "ACCESS_NOT_SCHOOL",
            N_(
                "A {role} sees only the children of their own school; "
                "school {school} is not the school of {person}."
            ),
        ),
    ),
    Scope.SCHOOLS_IN_SCOPE: (
        "in_scope",
        (
            "ACCESS_IN_SCOPE",
            N_(
                "A {role} sees single records only of the schools in their scope; "
                "school {school} is in the scope of {person}."
            ),
        ),
        (
            "ACCESS_NOT_IN_SCOPE",
            N_(
                "A {role} sees single records only of the schools in their scope; "
                "school {school} is not in the scope of {person}."
            ),
        ),
    ),
}


def _scope_check(
    scope: Scope, relation: Relation, params: Mapping[str, str]
) -> tuple[bool, Message]:
    """Whether ``scope`` lets the actor see the record, and why."""
    if scope is Scope.ALL:
        text = N_("The system processes every record; what leaves liushou is masked.")
        return True, Message("ACCESS_ALL", text, params)
    flag, (good_code, good), (bad_code, bad) = _SCOPE_REASONS[scope]
    if not getattr(relation, flag):
        return False, Message(bad_code, bad, params)
    if not relation.in_scope:
        text = N_("School {school} lies outside the scope of {person}.")
        return False, Message("ACCESS_OUTSIDE", text, params)
    return True, Message(good_code, good, params)


def can_see(
    actor: Actor,
    record: Any,
    relation: Relation,
    policy: AccessPolicy = DEFAULT_ACCESS_POLICY,
) -> Decision:
    """Whether ``actor`` may see ``record`` (a child, or a record about children) at all.

    The role's scopes are tried in turn (:class:`Scope`); one that holds lets
    the actor see it, and a role that must state a purpose needs
    ``actor.purpose``. Which *fields* they see is :func:`view`'s business.
    """
    settings = policy.role(actor.role)
    params = {
        "role": actor.role.value,
        "person": actor.person_id,
        "child": _record_name(record, relation),
        "school": relation.school_id,
    }
    if not settings.scopes:
        return Decision(
            False,
            (
                Message(
                    "ACCESS_AGGREGATES_ONLY",
                    N_("A {role} sees aggregates only, never a single child's record."),
                    params,
                ),
            ),
        )
    failures: list[Message] = []
    for scope in settings.scopes:
        ok, reason = _scope_check(scope, relation, params)
        if not ok:
            failures.append(reason)
            continue
        if not settings.purpose_required:
            return Decision(True, (reason,))
        if not actor.purpose:
            return Decision(
                False,
                (
                    reason,
                    Message(
                        "ACCESS_NO_PURPOSE",
                        N_(
                            "A {role} reads a single child's record only for a recorded "
                            "purpose, and none was given."
                        ),
                        params,
                    ),
                ),
            )
        return Decision(
            True,
            (
                reason,
                Message(
                    "ACCESS_PURPOSE",
                    N_(
                        "A {role} reads a single child's record only for a recorded "
                        "purpose: {purpose}."
                    ),
                    {**params, "purpose": mask_text(actor.purpose)},
                ),
            ),
        )
    return Decision(False, tuple(dict.fromkeys(failures)))


class FieldAccessDenied(PermissionDenied):
    """A read or write the access policy forbids.

    ``message`` says who may not do what (translatable; ``str()`` is its
    English text), ``fields`` names the forbidden field paths (never their
    values) and ``reasons`` gives the scope decision's reasons, if any.
    """

    message: Message
    fields: tuple[str, ...]
    reasons: tuple[Message, ...]

    def __init__(
        self,
        message: Message,
        *,
        fields: Iterable[str] = (),
        reasons: Iterable[Message] = (),
    ) -> None:
        self.message = message
        self.fields = tuple(fields)
        self.reasons = tuple(reasons)
        super().__init__(mask_text(message.render("en")))

    def render(self, lang: str = DEFAULT_LANG) -> list[str]:
        """The message and the reasons in ``lang``, numbers masked."""
        return [mask_text(m.render(lang)) for m in (self.message, *self.reasons)]

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_denied, (self.message, self.fields, self.reasons))


def _rebuild_denied(
    message: Message, fields: tuple[str, ...], reasons: tuple[Message, ...]
) -> FieldAccessDenied:
    return FieldAccessDenied(message, fields=fields, reasons=reasons)


def _check_relation(record: Any, relation: Relation) -> None:
    """Refuse a relation built for another school or other children (a caller's mistake)."""
    school = getattr(record, "school_id", None)
    if school is not None and school != relation.school_id:
        raise ValueError(
            f"the relation is for school {relation.school_id}, the record of school {school}"
        )
    if kind_of(record) == "child":
        ids: tuple[str, ...] = (record.id,)
    elif isinstance(getattr(record, "child_id", None), str):
        ids = (record.child_id,)
    else:
        ids = tuple(getattr(record, "child_ids", ()) or ())
    if ids and not set(ids) & set(relation.child_ids):
        raise ValueError("the relation was built for other children than the record's")


# --------------------------------------------------------------------------- reading


@attrs.frozen
class View:
    """What an actor sees of a record (:func:`view`).

    ``data`` is the converter's plain dict with only the permitted fields
    (forbidden ones removed, masked ones masked). The path tuples are sorted
    and use dotted field paths without list indices: ``fields`` the leaf
    fields shown, ``hidden`` the fields removed, ``masked`` those whose value
    was shown masked, ``unmasked`` those shown in full although masking by
    default would have changed them (ID and phone numbers, numbers inside free
    text): the caller audits these with ``actor.purpose``.
    ``full_record`` says whether the read counts as a read of a child's record
    for the audit trail (the kind is in :attr:`AccessPolicy.audited_kinds` and
    something was shown).
    """

    kind: str
    data: dict[str, Any]
    fields: tuple[str, ...]
    hidden: tuple[str, ...]
    masked: tuple[str, ...]
    unmasked: tuple[str, ...]
    full_record: bool
    reasons: tuple[Message, ...] = ()

    @property
    def must_audit(self) -> bool:
        """Whether the read needs an audit entry (a child's record, or something unmasked)."""
        return self.full_record or bool(self.unmasked)


class _Walk:
    """The state of one :func:`view`: what was shown, hidden, masked and unmasked."""

    __slots__ = (
        "actor",
        "fields",
        "hidden",
        "kind",
        "lift_text",
        "masked",
        "perms",
        "policy",
        "requested",
        "unmasked",
    )

    def __init__(
        self,
        policy: AccessPolicy,
        actor: Actor,
        kind: str,
        requested: Callable[[str], bool],
    ) -> None:
        self.policy = policy
        self.actor = actor
        self.kind = kind
        self.perms = policy.permissions_of(actor)
        self.requested = requested
        self.lift_text = (
            Permission.UNMASK_ID in self.perms and Permission.UNMASK_PHONE in self.perms
        )
        self.fields: set[str] = set()
        self.hidden: set[str] = set()
        self.masked: set[str] = set()
        self.unmasked: set[str] = set()

    def node(self, data: Mapping[str, Any], prefix: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in data.items():
            path = f"{prefix}.{key}" if prefix else key
            fa = self.policy.resolve(self.actor.role, self.kind, path)
            access = _read_access(fa, self.perms, self.requested(path))
            nested = bool(value) and (
                isinstance(value, dict)
                or (isinstance(value, list) and any(isinstance(e, dict) for e in value))
            )
            if access is Access.NONE and not (
                nested and self.policy.has_rules_below(self.kind, path)
            ):
                self.hidden.add(path)
                continue
            if not nested:
                out[key] = self.leaf(value, path, access, fa)
                continue
            # Descend: a rule on a field inside may show what this field's rule hides.
            if isinstance(value, dict):
                sub: Any = self.node(value, path)
            else:
                sub = [self.node(e, path) if isinstance(e, dict) else e for e in value]
            if sub if isinstance(sub, dict) else any(sub):  # something inside is shown
                out[key] = sub
        return out

    def leaf(self, value: Any, path: str, access: Access, fa: FieldAccess) -> Any:
        self.fields.add(path)
        if isinstance(value, str):
            return self.string(value, path, access, fa)
        if isinstance(value, list) and any(isinstance(e, str) for e in value):
            return [self.string(e, path, access, fa) if isinstance(e, str) else e for e in value]
        return value

    def string(self, value: str, path: str, access: Access, fa: FieldAccess) -> str:
        value = str(value)  # a ResidentId or Phone becomes plain text
        number = fa.masker in _NUMBER_MASKERS
        if access is Access.MASKED:
            shown = MASKERS[fa.masker](value)
        elif number or fa.masker == "name" or (self.lift_text and self.requested(path)):
            shown = value
        else:
            shown = _scrub(value)
        if shown != value:
            self.masked.add(path)
        elif value and (MASKERS[fa.masker] if number else _scrub)(value) != value:
            self.unmasked.add(path)
        return shown


def view(
    record: Any,
    actor: Actor,
    *,
    relation: Relation,
    policy: AccessPolicy = DEFAULT_ACCESS_POLICY,
    unmask: bool | Collection[str] = False,
) -> View:
    """What ``actor`` sees of ``record``: only the permitted fields, masked by default.

    ``relation`` comes from :func:`relation_to` (for a record about a child:
    the relation to that child; for an incident about several, their
    relations joined with ``|``; for a household, the relation to one of its
    children). ``unmask`` asks to show ID and phone numbers in full: ``True``
    for every field, or a collection of field paths (``{"guardians.phone"}``;
    a path covers the fields inside it: ``{"guardians"}``).
    Only fields whose unmask permission the actor holds are unmasked, and free
    text is shown with the numbers in it only to an actor holding both unmask
    permissions. Unmasking needs ``actor.purpose`` (unless the role's
    ``purpose_to_unmask`` is false).

    Raises :class:`FieldAccessDenied` when the actor may not see the record
    (:func:`can_see`) or asks to unmask without a purpose, and
    :class:`ValueError` when ``relation`` was built for another school or
    other children.
    """
    if not attrs.has(type(record)):
        raise TypeError(f"not a record: {type(record).__name__}")
    _check_relation(record, relation)
    kind = kind_of(record)
    decision = can_see(actor, record, relation, policy)
    params = {
        "role": actor.role.value,
        "person": actor.person_id,
        "record": str(getattr(record, "id", kind)),
    }
    if not decision.allowed:
        raise FieldAccessDenied(
            Message("READ_DENIED", N_("{role} {person} may not see record {record}."), params),
            reasons=decision.reasons,
        )
    if unmask and policy.role(actor.role).purpose_to_unmask and not actor.purpose:
        raise FieldAccessDenied(
            Message(
                "UNMASK_NO_PURPOSE",
                N_("{role} {person} must record a purpose to see ID or phone numbers in full."),
                params,
            ),
        )
    if isinstance(unmask, bool):
        everything = unmask

        def requested(path: str) -> bool:
            return everything

    else:
        asked = frozenset(unmask)

        def requested(path: str) -> bool:
            return any(p in asked for p in _prefixes(path))

    from liushou_core.convert import unstructure

    walk = _Walk(policy, actor, kind, requested)
    data = walk.node(unstructure(record), "")
    return View(
        kind=kind,
        data=data,
        fields=tuple(sorted(walk.fields)),
        hidden=tuple(sorted(walk.hidden)),
        masked=tuple(sorted(walk.masked)),
        unmasked=tuple(sorted(walk.unmasked)),
        full_record=kind in policy.audited_kinds and bool(walk.fields),
        reasons=decision.reasons,
    )


# --------------------------------------------------------------------------- writing

_MISSING: Final = object()


def _plain(value: Any) -> Any:
    """Tuples as lists, recursively, so that defaults compare with converted data."""
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _leaves(value: Any, prefix: str, out: set[str], *, set_only: bool = False) -> None:
    """Add the leaf paths of ``value``; with ``set_only``, only those holding a value."""
    if isinstance(value, dict) and value:
        for key, v in value.items():
            _leaves(v, f"{prefix}.{key}" if prefix else key, out, set_only=set_only)
    elif isinstance(value, list) and any(isinstance(e, dict) for e in value):
        for e in value:
            _leaves(e, prefix, out, set_only=set_only)
    elif value is not _MISSING and not (set_only and value in (None, "", [], {})):
        out.add(prefix)


def _diff(a: Any, b: Any, prefix: str, out: set[str]) -> None:
    if a == b:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for key in dict.fromkeys((*a, *b)):
            path = f"{prefix}.{key}" if prefix else key
            _diff(a.get(key, _MISSING), b.get(key, _MISSING), path, out)
        return
    if isinstance(a, list) and isinstance(b, list) and any(isinstance(e, dict) for e in (*a, *b)):
        # Pair equal elements first: adding a guardian in front changes no other.
        rest_a = list(a)
        rest_b = []
        for e in b:
            if e in rest_a:
                rest_a.remove(e)
            else:
                rest_b.append(e)
        for i in range(max(len(rest_a), len(rest_b))):
            ea = rest_a[i] if i < len(rest_a) else _MISSING
            eb = rest_b[i] if i < len(rest_b) else _MISSING
            _diff(ea, eb, prefix, out)
        return
    if a is _MISSING or b is _MISSING:
        # An element or record added or removed: the fields it sets count.
        _leaves(b if a is _MISSING else a, prefix, out, set_only=True)
        return
    _leaves(a, prefix, out)
    _leaves(b, prefix, out)


def _defaults(cls: type) -> dict[str, Any]:
    """The plain data of the fields of ``cls`` that have a default (a new record's "before")."""
    from liushou_core.convert import unstructure

    out: dict[str, Any] = {}
    for f in attrs.fields(cls):
        if not f.init or f.default is attrs.NOTHING:
            continue
        default = f.default
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            if default.takes_self:
                continue
            default = default.factory()
        out[f.alias or f.name] = _plain(unstructure(default))
    return out


def changed_paths(old: Any | None, new: Any) -> tuple[str, ...]:
    """The leaf field paths (no list indices) in which ``new`` differs from ``old``.

    For a new record (``old=None``) every field set to other than its default
    counts, and every required field; in a list element added or removed, every
    field holding a value (not ``None``, empty text or an empty list).
    ``version`` is the store's and never counts.
    """
    from liushou_core.convert import unstructure

    after = _plain(unstructure(new))
    before = _defaults(type(new)) if old is None else _plain(unstructure(old))
    out: set[str] = set()
    _diff(before, after, "", out)
    out.discard("version")
    out.discard("")
    return tuple(sorted(out))


def check_write(
    old: Any | None,
    new: Any,
    actor: Actor,
    *,
    relation: Relation,
    policy: AccessPolicy = DEFAULT_ACCESS_POLICY,
) -> None:
    """Allow writing ``new`` over ``old`` (``None``: a new record), or raise.

    The actor must be able to see the record (:func:`can_see`; ``relation`` is
    to the record as stored, or to ``new`` for a new record) and hold ``FULL``
    write access (:meth:`AccessPolicy.write_access`: for a masked ID or phone
    number, the unmask permission) to every field that changes
    (:func:`changed_paths`); a record moved to another school needs that
    school in the actor's scope too. Raises :class:`FieldAccessDenied` naming
    the forbidden fields (never their values). Nothing is changed either way.
    """
    if old is not None and type(old) is not type(new):
        raise TypeError(f"cannot write a {type(new).__name__} over a {type(old).__name__}")
    current = new if old is None else old
    _check_relation(current, relation)
    kind = kind_of(new)
    record_id = str(getattr(current, "id", kind))
    params = {"role": actor.role.value, "person": actor.person_id, "record": record_id}
    decision = can_see(actor, current, relation, policy)
    if not decision.allowed:
        text = N_("{role} {person} may not change record {record}.")
        raise FieldAccessDenied(
            Message("WRITE_RECORD_DENIED", text, params), reasons=decision.reasons
        )
    changed = changed_paths(old, new)
    forbidden = [p for p in changed if policy.write_access(actor, kind, p) is not Access.FULL]
    reasons: list[Message] = []
    school = getattr(new, "school_id", None)
    if isinstance(school, str) and school != relation.school_id and not actor.covers(school):
        forbidden.append("school_id")
        reasons.append(
            Message(
                "ACCESS_OUTSIDE",
                N_("School {school} lies outside the scope of {person}."),
                {"school": school, "person": actor.person_id},
            )
        )
    if forbidden:
        fields = tuple(dict.fromkeys(forbidden))
        raise FieldAccessDenied(
            Message(
                "WRITE_DENIED",
                N_("{role} {person} may not write these fields of record {record}: {fields}."),
                {**params, "fields": ", ".join(fields)},
            ),
            fields=fields,
            reasons=reasons,
        )


# --------------------------------------------------------------------------- aggregates


def suppress_small(counts: Mapping[K, int], *, threshold: int = 5) -> dict[K, int | None]:
    """Counts fit to leave the school: small ones suppressed (``None``), zeros kept.

    Primary suppression: a count from 1 to ``threshold - 1`` is suppressed (a
    zero names nobody and is shown). Secondary suppression, so that the row
    total and the shown cells do not give a suppressed cell back: while only
    one cell is suppressed, or the suppressed cells add up to less than
    ``threshold``, the smallest shown non-zero cell is suppressed too (the
    first of equal ones, in the mapping's order), and once no non-zero cell is
    left, the first zero. A one-cell mapping is suppressed on its own.

    The mapping is one row of a table (for example left-behind children by
    category in one school). Cross-tabulations need each row and each column
    passed in turn, and totals published beside them are counts too.
    """
    if type(threshold) is not int or threshold < 1:
        raise ValueError("threshold must be a whole number from 1")
    for key, value in counts.items():
        if type(value) is not int or value < 0:
            raise ValueError(f"count of {key!r} is not a whole number from 0: {value!r}")
    out: dict[K, int | None] = dict(counts)
    suppressed = [k for k, v in counts.items() if 0 < v < threshold]
    if not suppressed:
        return out
    order = {k: i for i, k in enumerate(counts)}
    while len(suppressed) == 1 or sum(counts[k] for k in suppressed) < threshold:
        shown = [k for k in counts if k not in suppressed]
        if not shown:
            break
        positive = [k for k in shown if counts[k] > 0]
        pick = min(positive or shown, key=lambda k: (counts[k], order[k]))
        suppressed.append(pick)
    for k in suppressed:
        out[k] = None
    return out


# --------------------------------------------------------------------------- consent

#: When the policy values below take effect: PIPL in force.
_PIPL: Final = dt.date(2021, 11, 1)


class Processing(StrEnum):
    """What a child's data is processed for; the consent policy says which need consent.

    The values are those written in :attr:`Consent.purposes
    <liushou_core.models.Consent.purposes>`.
    """

    CARE_PROGRAMME = N_("care programme")  # mentoring, visits, volunteers (关爱帮扶)
    AID_ASSESSMENT = N_("aid assessment")  # financial difficulty, 两免一补 (on application)
    HEALTH_CHECKS = N_("health checks")  # health and psychological follow-up
    SCHOOL_RECORDS = N_("school records")  # the school's own register (学籍), a legal duty
    SAFEGUARDING = N_("safeguarding report")  # mandatory reporting (未成年人保护法 art. 11)
    EMERGENCY = N_("emergency")  # to protect life or health (PIPL art. 13(4))


@attrs.frozen
class ConsentPolicy:
    """When the guardian's consent is needed: dated policy values with their sources.

    ``age_limit``: a child *under* this age (on the day of processing) needs
    the guardian's consent (PIPL art. 28, 31: 14). ``needs_consent``: the
    processing purposes that rest on consent; other purposes (the school's
    register, a safeguarding report, an emergency) rest on a legal duty.
    ``by_role``: the purpose a role's reading of a record always counts as
    (a volunteer proxy parent works only for the care programme).
    """

    age_limit: Dated[int] = Dated.since(_PIPL, 14, "PIPL art. 28, 31 (个人信息保护法)")
    needs_consent: Dated[tuple[str, ...]] = Dated.since(
        _PIPL,
        (
            Processing.CARE_PROGRAMME.value,
            Processing.AID_ASSESSMENT.value,
            Processing.HEALTH_CHECKS.value,
        ),
        "PIPL art. 13, 31; 儿童个人信息网络保护规定 art. 9",
    )
    by_role: Mapping[Role, str] = attrs.field(
        factory=lambda: {Role.VOLUNTEER: Processing.CARE_PROGRAMME.value}
    )

    def processing_for(self, actor: Actor, processing: str | None) -> str:
        """The processing purpose of an actor's call: the role's, else the one given,
        else the school's register."""
        return self.by_role.get(actor.role) or processing or Processing.SCHOOL_RECORDS.value


DEFAULT_CONSENT_POLICY: Final = ConsentPolicy()


class ConsentRequired(PermissionDenied):
    """Processing that needs the guardian's consent, and none is in force for it.

    ``message`` (translatable; ``str()`` is its English text) names the child
    by record id, never by name; ``reasons`` explain the decision.
    """

    message: Message
    reasons: tuple[Message, ...]

    def __init__(self, message: Message, *, reasons: Iterable[Message] = ()) -> None:
        self.message = message
        self.reasons = tuple(reasons)
        super().__init__(mask_text(message.render("en")))

    def render(self, lang: str = DEFAULT_LANG) -> list[str]:
        """The message and the reasons in ``lang``."""
        return [mask_text(m.render(lang)) for m in (self.message, *self.reasons)]

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_consent, (self.message, self.reasons))


def _rebuild_consent(message: Message, reasons: tuple[Message, ...]) -> ConsentRequired:
    return ConsentRequired(message, reasons=reasons)


def consent_decision(
    child: Child,
    consents: Iterable[Consent],
    processing: str,
    *,
    on: dt.date,
    policy: ConsentPolicy = DEFAULT_CONSENT_POLICY,
) -> Decision:
    """Whether ``child``'s data may be processed for ``processing`` on ``on``, and why.

    Allowed when the purpose needs no consent, when the child is at or over
    the age limit, or when a consent of this child's guardian is in force on
    ``on`` and covers the purpose (:meth:`Consent.covers
    <liushou_core.models.Consent.covers>`); consents of other children count
    for nothing.
    """
    params: dict[str, Any] = {"child": child.id, "purpose": processing}
    if processing not in policy.needs_consent.at(on):
        text = N_("Processing for {purpose} rests on a legal duty and needs no consent.")
        return Decision(True, (Message("CONSENT_NOT_NEEDED", text, params),))
    limit = policy.age_limit.at(on)
    age = child.age_on(on)
    params.update(age=age, limit=limit, source=policy.age_limit.source_at(on))
    if age >= limit:
        text = N_("{child} is {age}, not under {limit}: no guardian's consent is needed.")
        return Decision(True, (Message("CONSENT_AGE", text, params),))
    found = [
        c
        for c in consents
        if c.child_id == child.id and c.school_id == child.school_id and c.covers(processing, on)
    ]
    if found:
        best = max(found, key=lambda c: (c.given_on, c.id))
        text = N_(
            "The guardian's consent {consent} of {given} covers {purpose} "
            "(notice version {notice})."
        )
        params.update(
            consent=best.id, given=best.given_on.isoformat(), notice=best.notice_version or "-"
        )
        return Decision(True, (Message("CONSENT_IN_FORCE", text, params),))
    text = N_(
        "{child} is under {limit} ({source}): processing for {purpose} needs the "
        "guardian's consent, and none is in force."
    )
    return Decision(False, (Message("CONSENT_MISSING", text, params),))


def require_consent(
    child: Child,
    consents: Iterable[Consent],
    processing: str,
    *,
    on: dt.date,
    policy: ConsentPolicy = DEFAULT_CONSENT_POLICY,
) -> Decision:
    """:func:`consent_decision`, raising :class:`ConsentRequired` when it refuses."""
    decision = consent_decision(child, consents, processing, on=on, policy=policy)
    if not decision.allowed:
        raise ConsentRequired(
            Message(
                "CONSENT_REQUIRED",
                N_("No guardian's consent for {purpose} is in force for {child}."),
                {"purpose": processing, "child": child.id},
            ),
            reasons=decision.reasons,
        )
    return decision


# --------------------------------------------------------------------------- retention


class PurgeBasis(StrEnum):
    """Why a child's data is purged (recorded, without the child's name, in the trail)."""

    RETENTION_ENDED = N_("retention period ended")
    CONSENT_WITHDRAWN = N_("consent withdrawn")
    ORDERED = N_("purge ordered before the end of the retention period")


@attrs.frozen
class RetentionPolicy:
    """How long a child's data is kept after the child leaves the care programme.

    ``years_after_leaving``: the data is purged that many years after the day
    the child left (PIPL art. 47 and 儿童个人信息网络保护规定 art. 20 ask for
    deletion once the purpose is achieved, but set no number: the value is a
    local choice, UNCONFIRMED, and a county changes it with
    :meth:`~liushou_core.dated.Dated.with_change`). ``after_withdrawal_days``:
    days after the guardian withdraws consent for every purpose.
    """

    years_after_leaving: Dated[int] = Dated.since(
        _PIPL,
        1,
        "PIPL art. 47; 儿童个人信息网络保护规定 art. 20 (period: local choice, UNCONFIRMED)",
    )
    after_withdrawal_days: Dated[int] = Dated.since(
        _PIPL, 30, "PIPL art. 47(2) (consent withdrawn; period: local choice, UNCONFIRMED)"
    )


DEFAULT_RETENTION_POLICY: Final = RetentionPolicy()


@attrs.frozen
class RetentionStatus:
    """Whether a child's data is due to be purged on a day, from when, and why."""

    due: bool
    left_on: dt.date | None
    purge_from: dt.date | None
    basis: PurgeBasis | None
    reasons: tuple[Message, ...] = ()

    def render(self, lang: str = DEFAULT_LANG) -> list[str]:
        return [m.render(lang) for m in self.reasons]


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def left_programme_on(child: Child, pairings: Iterable[Pairing]) -> dt.date | None:
    """The day the child left the care programme: the end of the child's last pairing,
    once every pairing has ended (``None`` while one is open or none is known)."""
    mine = [p for p in pairings if p.child_id == child.id and p.school_id == child.school_id]
    if not mine or any(p.end is None for p in mine):
        return None
    return max(cast(dt.date, p.end) for p in mine)


def retention_status(
    child: Child,
    *,
    pairings: Iterable[Pairing] = (),
    consents: Iterable[Consent] = (),
    on: dt.date,
    left_on: dt.date | None = None,
    policy: RetentionPolicy = DEFAULT_RETENTION_POLICY,
) -> RetentionStatus:
    """Whether ``child``'s data is due to be purged on ``on``.

    The child left the programme on ``left_on`` (given by the school, for
    instance on leaving the school) or else on :func:`left_programme_on`. The
    data is due ``years_after_leaving`` years after that day, or
    ``after_withdrawal_days`` after the guardian withdrew every consent given
    for this child (whichever comes first).
    """
    reasons: list[Message] = []
    candidates: list[tuple[dt.date, PurgeBasis]] = []
    left = left_on or left_programme_on(child, pairings)
    if left is not None:
        years = policy.years_after_leaving.at(left)
        due_on = _add_years(left, years)
        candidates.append((due_on, PurgeBasis.RETENTION_ENDED))
        reasons.append(
            Message(
                "RETENTION_LEFT",
                N_(
                    "{child} left the programme on {left}; the data is kept {years} year(s) "
                    "({source}), until {until}."
                ),
                {
                    "child": child.id,
                    "left": left.isoformat(),
                    "years": years,
                    "source": policy.years_after_leaving.source_at(left),
                    "until": due_on.isoformat(),
                },
            )
        )
    mine = [c for c in consents if c.child_id == child.id and c.school_id == child.school_id]
    if mine and all(c.withdrawn_on is not None for c in mine):
        withdrawn = max(cast(dt.date, c.withdrawn_on) for c in mine)
        days = policy.after_withdrawal_days.at(withdrawn)
        due_on = withdrawn + dt.timedelta(days=days)
        candidates.append((due_on, PurgeBasis.CONSENT_WITHDRAWN))
        reasons.append(
            Message(
                "RETENTION_WITHDRAWN",
                N_(
                    "The guardian withdrew consent on {withdrawn}; the data is purged "
                    "{days} days later, from {until}."
                ),
                {"withdrawn": withdrawn.isoformat(), "days": days, "until": due_on.isoformat()},
            )
        )
    if not candidates:
        reasons.append(
            Message(
                "RETENTION_IN_PROGRAMME",
                N_("{child} is still in the programme: the data is kept."),
                {"child": child.id},
            )
        )
        return RetentionStatus(False, None, None, None, tuple(reasons))
    purge_from, basis = min(candidates)
    return RetentionStatus(on >= purge_from, left, purge_from, basis, tuple(reasons))


# --------------------------------------------------------------------------- purging

#: What a purge writes over the child's name and numbers in records it keeps.
ERASED: Final = "[已清除]"


def scrub_child(value: Any, child: Child) -> Any:
    """``value`` (plain data) with the child's name, ID and student numbers replaced by
    :data:`ERASED` in every text inside it, for the records a purge keeps."""
    needles = [n for n in (child.name, child.id_number, child.student_number) if n]

    def walk(v: Any) -> Any:
        if isinstance(v, str):
            for n in needles:
                v = v.replace(n, ERASED)
            return v
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        return v

    return walk(value)
