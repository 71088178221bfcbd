"""crmbridge: read and write several real-estate CRMs through one canonical model."""

from crmbridge import errors
from crmbridge.adapters import (
    Adapter,
    BatchFailure,
    BatchResult,
    Resolver,
    available_systems,
    get_adapter,
    register_adapter,
)
from crmbridge.canonical import (
    Activity,
    Address,
    Call,
    Contact,
    CustomFieldValue,
    EmailAddress,
    EmailMessage,
    Event,
    Lookup,
    Money,
    Person,
    Phone,
    Record,
    Ref,
    Reminder,
    RemoteMeeting,
    Task,
    Video,
)
from crmbridge.errors import CrmBridgeError, MappingError, UnresolvedReference, UnsupportedKind

__version__ = "0.1.0"

__all__ = [
    "Activity",
    "Adapter",
    "Address",
    "BatchFailure",
    "BatchResult",
    "Call",
    "Contact",
    "CrmBridgeError",
    "CustomFieldValue",
    "EmailAddress",
    "EmailMessage",
    "Event",
    "Lookup",
    "MappingError",
    "Money",
    "Person",
    "Phone",
    "Record",
    "Ref",
    "Reminder",
    "RemoteMeeting",
    "Resolver",
    "Task",
    "UnresolvedReference",
    "UnsupportedKind",
    "Video",
    "__version__",
    "available_systems",
    "errors",
    "get_adapter",
    "register_adapter",
]
