"""The canonical model: the contract every adapter translates to and from.

No adapter is imported here: the canonical model knows nothing of any CRM.
"""

from crmbridge.canonical._base import CanonicalModel, UtcDateTime
from crmbridge.canonical._custom_fields import CUSTOM_FIELD_TYPES, CustomFieldType, CustomFieldValue, Money
from crmbridge.canonical._field_convert import (
    Converted,
    CustomFieldDef,
    CustomValueConversionError,
    convert_custom_value,
)
from crmbridge.canonical._records import (
    RECORD_TYPES,
    Activity,
    Channel,
    Contact,
    Direction,
    Event,
    Record,
    Task,
    TaskKind,
    TaskStatus,
)
from crmbridge.canonical._refs import Lookup, Ref
from crmbridge.canonical._schema import check_schemas, render_schemas, write_schemas
from crmbridge.canonical._values import (
    Address,
    Call,
    CallStatus,
    EmailAddress,
    EmailMessage,
    Person,
    Phone,
    Reminder,
    RemoteMeeting,
    Video,
)

__all__ = [
    "CUSTOM_FIELD_TYPES",
    "RECORD_TYPES",
    "Activity",
    "Address",
    "Call",
    "CallStatus",
    "CanonicalModel",
    "Channel",
    "Contact",
    "Converted",
    "CustomFieldDef",
    "CustomFieldType",
    "CustomFieldValue",
    "CustomValueConversionError",
    "Direction",
    "EmailAddress",
    "EmailMessage",
    "Event",
    "Lookup",
    "Money",
    "Person",
    "Phone",
    "Record",
    "Ref",
    "Reminder",
    "RemoteMeeting",
    "Task",
    "TaskKind",
    "TaskStatus",
    "UtcDateTime",
    "Video",
    "check_schemas",
    "convert_custom_value",
    "render_schemas",
    "write_schemas",
]
