"""The domain model (attrs): ``@frozen`` values and ``@define`` entities.

Entities carry an ``id`` (unique within their school; every key starts with the
school id) and a ``version``. Every model validates itself at construction.
"""

from liushou_core._fastpath import with_version
from liushou_core.models.aid import AidDecision, SchemeDecision
from liushou_core.models.child import (
    AwayPeriod,
    CareAssessment,
    Child,
    ConditionKind,
    Disability,
    DisabilityType,
    Disqualification,
    Grandparent,
    Guardian,
    Health,
    HealthStatus,
    Hukou,
    Parent,
    ParentCondition,
    ParentRole,
    Relationship,
    SchoolingStatus,
)
from liushou_core.models.common import Address, Contact, Period, Sex, label
from liushou_core.models.consent import Consent
from liushou_core.models.events import (
    Authority,
    ContactEvent,
    ContactKind,
    DiaryEntry,
    HealthCheck,
    HealthResult,
    Incident,
    IncidentKind,
    IncidentState,
    IncidentStep,
    PledgeLevel,
    SafetyPledge,
)
from liushou_core.models.findings import Finding, Severity, Subject
from liushou_core.models.household import (
    Assistance,
    DifficultyLevel,
    Household,
    HouseholdCategory,
)
from liushou_core.models.pairing import MentorKind, Pairing
from liushou_core.models.school import (
    RecordCheck,
    School,
    SchoolClass,
    Semester,
    StaffRole,
    Teacher,
    Term,
    Volunteer,
    VolunteerKind,
)

#: Every model class, values and entities, for strategies and round-trip tests.
ALL_MODELS: tuple[type, ...] = (
    School, SchoolClass, Term, Teacher, Volunteer, RecordCheck,
    Child, Parent, Guardian, Grandparent, AwayPeriod, ParentCondition, Disability,
    Hukou, Health, Address, Contact, Period,
    Household, Pairing, ContactEvent, DiaryEntry, HealthCheck, Incident, IncidentStep,
    SafetyPledge, Consent, AidDecision, SchemeDecision, Finding, Subject,
)  # fmt: skip

#: Entities: records with an ``id`` and a ``version``, stored by the Store port.
ENTITIES: tuple[type, ...] = (
    School, SchoolClass, Teacher, Volunteer, Child, Household, Pairing, ContactEvent,
    DiaryEntry, HealthCheck, Incident, SafetyPledge, Consent, AidDecision,
)  # fmt: skip

__all__ = [
    "ALL_MODELS",
    "ENTITIES",
    "Address",
    "AidDecision",
    "Assistance",
    "Authority",
    "AwayPeriod",
    "CareAssessment",
    "Child",
    "ConditionKind",
    "Consent",
    "Contact",
    "ContactEvent",
    "ContactKind",
    "DiaryEntry",
    "DifficultyLevel",
    "Disability",
    "DisabilityType",
    "Disqualification",
    "Finding",
    "Grandparent",
    "Guardian",
    "Health",
    "HealthCheck",
    "HealthResult",
    "HealthStatus",
    "Household",
    "HouseholdCategory",
    "Hukou",
    "Incident",
    "IncidentKind",
    "IncidentState",
    "IncidentStep",
    "MentorKind",
    "Pairing",
    "Parent",
    "ParentCondition",
    "ParentRole",
    "Period",
    "PledgeLevel",
    "RecordCheck",
    "Relationship",
    "SafetyPledge",
    "School",
    "SchoolClass",
    "SchoolingStatus",
    "Semester",
    "Severity",
    "Sex",
    "StaffRole",
    "Subject",
    "Teacher",
    "Term",
    "Volunteer",
    "VolunteerKind",
    "label",
    "with_version",
]
