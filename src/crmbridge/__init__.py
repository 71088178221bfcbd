"""crmbridge: read and write several real-estate CRMs through one canonical model."""

from crmbridge import errors
from crmbridge._connection import AsyncConnection, Connection, ListFailure, connect, connect_async
from crmbridge._systems import System, register_system
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
from crmbridge.sync import MigrationReport, StateStore, migrate

__version__ = "0.1.0"

__all__ = [
    "Activity",
    "Adapter",
    "Address",
    "AsyncConnection",
    "BatchFailure",
    "BatchResult",
    "Call",
    "Connection",
    "Contact",
    "CrmBridgeError",
    "CustomFieldValue",
    "EmailAddress",
    "EmailMessage",
    "Event",
    "ListFailure",
    "Lookup",
    "MappingError",
    "MigrationReport",
    "Money",
    "Person",
    "Phone",
    "Record",
    "Ref",
    "Reminder",
    "RemoteMeeting",
    "Resolver",
    "StateStore",
    "System",
    "Task",
    "UnresolvedReference",
    "UnsupportedKind",
    "Video",
    "__version__",
    "available_systems",
    "connect",
    "connect_async",
    "errors",
    "get_adapter",
    "migrate",
    "register_adapter",
    "register_system",
]
