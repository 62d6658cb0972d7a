"""Who is acting, in which role, for which school and purpose.

Every service call takes an :class:`Actor` from day one, so that field-level
access, masking and the audit trail (PIPL art. 28, 31, 51; 儿童个人信息网络保护规定)
can be enforced by the services and stores. The access policy itself grows in
the privacy issue; this module holds the actor and the roles.
"""

from __future__ import annotations

from enum import StrEnum

import attrs

from liushou_core.i18n import N_
from liushou_core.validate import name, text

__all__ = ["SYSTEM", "Actor", "Role"]


class Role(StrEnum):
    """Roles of the people (and the system) who act on records."""

    MENTOR = N_("mentor")
    CLASS_TEACHER = N_("class teacher")
    PSYCHOLOGIST = N_("school psychologist or health officer")
    PRINCIPAL = N_("principal")
    DISTRICT_OFFICER = N_("district officer")
    VOLUNTEER = N_("volunteer proxy parent")
    SYSTEM = N_("system")


def _scope(value: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return tuple(sorted({name(v) for v in value}))


@attrs.frozen
class Actor:
    """A person (or the system) acting in a role, within a school scope, for a purpose.

    ``schools`` lists the school ids the actor may act on; an empty scope with
    the district-officer or system role means the whole county. ``purpose`` is
    recorded with every audit entry.
    """

    role: Role
    person_id: str = attrs.field(converter=name)
    schools: tuple[str, ...] = attrs.field(default=(), converter=_scope)
    purpose: str = attrs.field(default="", converter=text)

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
