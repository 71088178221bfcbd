"""Exit codes, the user-error type, and the one-line explanation of every error a user can cause."""

from __future__ import annotations

from typing import Any

from crmbridge.errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    AuthenticationError,
    CrmBridgeError,
    FieldMappingError,
    InvalidIdError,
    InvalidResponseError,
    JobLocked,
    MappingError,
    NotFoundError,
    PermissionDeniedError,
    RunInterrupted,
    UnsupportedKind,
    UnsupportedOperation,
)

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_LOCKED",
    "EXIT_UNREACHABLE",
    "EXIT_USAGE",
    "SANDBOX_EXTRA_HINT",
    "UserError",
    "explain",
    "require_sandbox_extra",
]

EXIT_FAILED = 1
"""The command ran and found a problem: records that failed, schema drift, a payload that does not translate."""
EXIT_USAGE = 2
"""Bad usage: an option, argument, file or kind that cannot be used."""
EXIT_UNREACHABLE = 3
"""A CRM (or the state store's server) could not be reached, or refused the credentials."""
EXIT_LOCKED = 4
"""Another run holds the job (a migration or feed of the same pair runs elsewhere)."""
EXIT_INTERRUPTED = 130
"""Interrupted by Ctrl-C."""


class UserError(Exception):
    """A mistake the user can fix: printed as one line and a hint, exiting with ``code``."""

    def __init__(self, message: str, hint: str | None = None, *, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.code = code


SANDBOX_EXTRA_HINT = "the sandboxes are an extra: pip install 'crmbridge[sandbox]'"


def require_sandbox_extra() -> None:
    """A usage error naming the extra when the emulators' packages are not installed."""
    try:
        import crmbridge.sandbox  # noqa: F401
    except ModuleNotFoundError as error:
        if error.name is not None and error.name.partition(".")[0] == "crmbridge":
            raise
        raise UserError(f"{SANDBOX_EXTRA_HINT} (missing: {error.name})") from None


def _flags(meta: dict[str, Any], system: str) -> tuple[str, str]:
    return meta.get("flags", {}).get(system, ("--token", "--base-url"))  # type: ignore[no-any-return]


def _api(error: APIError, meta: dict[str, Any]) -> tuple[int, str, str | None]:
    system = error.system or "the CRM"
    token_flag, url_flag = _flags(meta, system)
    env = f"CRMBRIDGE_{system.upper()}_"
    if isinstance(error, AuthenticationError | PermissionDeniedError):
        hint = f"check {system}'s token ({token_flag} or {env}TOKEN) and, for Rechat, the brand"
        return EXIT_UNREACHABLE, f"{system} refused the credentials: {error}", hint
    if isinstance(error, APIConnectionError):
        hint = f"check {system}'s base URL ({url_flag} or {env}BASE_URL) and that the server is up"
        return EXIT_UNREACHABLE, f"cannot reach {system}: {error}", hint
    if isinstance(error, NotFoundError):
        return (
            EXIT_FAILED,
            f"{system} has no such record: {error}",
            "check the id (and the base URL: Activix's ends in /v2)",
        )
    if isinstance(error, InvalidResponseError):
        hint = f"check {system}'s base URL ({url_flag}): it must be the API root (Activix's ends in /v2)"
        return EXIT_UNREACHABLE, f"{system} did not answer as its API does: {error}", hint
    if isinstance(error, APIStatusError):
        return EXIT_FAILED, f"{system} answered with an error: {error}", None
    return EXIT_FAILED, str(error), None


def explain(error: BaseException, meta: dict[str, Any]) -> tuple[int, str, str | None]:
    """The exit code, message and hint for an error that escaped a command."""
    if isinstance(error, KeyboardInterrupt):
        return EXIT_INTERRUPTED, "interrupted", meta.get("resume_hint")
    if isinstance(error, UserError):
        return error.code, error.message, error.hint
    if isinstance(error, JobLocked):
        return EXIT_LOCKED, f"{error} (--wait SECONDS)", None
    if isinstance(error, RunInterrupted):
        cause = error.__cause__
        _, message, hint = _api(cause, meta) if isinstance(cause, APIError) else (EXIT_UNREACHABLE, str(error), None)
        resume = "re-run to resume: run the same command again, what was moved is not moved twice"
        return EXIT_UNREACHABLE, message, f"{hint}; then {resume}" if hint else resume
    if isinstance(error, APIError):
        return _api(error, meta)
    if isinstance(error, UnsupportedKind | InvalidIdError | UnsupportedOperation):
        return EXIT_USAGE, str(error), None
    if isinstance(error, FieldMappingError):
        return EXIT_USAGE, str(error), "fix that line of the mapping file (crmbridge mapping suggest writes one)"
    if isinstance(error, MappingError):
        return EXIT_FAILED, str(error), None
    if isinstance(error, CrmBridgeError):
        return EXIT_FAILED, str(error), None
    if _is_database_error(error):
        return EXIT_UNREACHABLE, f"the state store failed: {_first_line(error)}", "check --state"
    if isinstance(error, OSError):
        return EXIT_USAGE, str(error), None
    return (
        EXIT_FAILED,
        f"unexpected error: {type(error).__name__}: {error}",
        "this is a bug: run again with --debug and report the traceback",
    )


def _is_database_error(error: BaseException) -> bool:
    from sqlalchemy.exc import SQLAlchemyError

    return isinstance(error, SQLAlchemyError)


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error)
    return text.splitlines()[0] if text else type(error).__name__
