"""The public surface cannot drift unnoticed: the exported names are pinned here."""

from __future__ import annotations

import crmbridge
import crmbridge.adapters
import crmbridge.canonical
import crmbridge.errors

EXPECTED = {
    crmbridge: {
        "Activity",
        "Adapter",
        "AsyncConnection",
        "Connection",
        "ListFailure",
        "connect",
        "connect_async",
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
        "Task",
        "UnresolvedReference",
        "UnsupportedKind",
        "Video",
        "__version__",
        "available_systems",
        "errors",
        "get_adapter",
        "migrate",
        "register_adapter",
    },
    crmbridge.canonical: {
        "CUSTOM_FIELD_TYPES",
        "RECORD_TYPES",
        "Activity",
        "Address",
        "Call",
        "CallStatus",
        "CanonicalModel",
        "Channel",
        "Contact",
        "CustomFieldType",
        "CustomFieldValue",
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
        "render_schemas",
        "write_schemas",
    },
    crmbridge.adapters: {
        "Adapter",
        "BatchFailure",
        "BatchResult",
        "Resolver",
        "available_systems",
        "get_adapter",
        "register_adapter",
    },
    crmbridge.errors: {
        "APIConnectionError",
        "APIError",
        "APIStatusError",
        "APITimeoutError",
        "AmbiguousWriteError",
        "AuthenticationError",
        "ConflictError",
        "CrmBridgeError",
        "InvalidIdError",
        "InvalidResponseError",
        "JobLocked",
        "MappingError",
        "NotFoundError",
        "PermissionDeniedError",
        "RateLimitError",
        "RunInterrupted",
        "ServerError",
        "UnresolvedReference",
        "UnsupportedKind",
        "UnsupportedOperation",
        "ValidationError",
        "status_error_class",
    },
}


def test_exported_names_are_pinned() -> None:
    """Each public module exports exactly the pinned names, and each name exists."""
    for module, names in EXPECTED.items():
        assert set(module.__all__) == names, module.__name__
        for name in names:
            assert hasattr(module, name), f"{module.__name__}.{name}"


def test_canonical_imports_no_adapter() -> None:
    """The canonical package is the contract: none of its modules imports an adapter."""
    import pathlib

    folder = pathlib.Path(crmbridge.canonical.__file__).parent
    for source in folder.glob("*.py"):
        assert "crmbridge.adapters" not in source.read_text(encoding="utf-8"), source.name
