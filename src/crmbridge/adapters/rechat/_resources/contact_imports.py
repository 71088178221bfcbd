"""Rechat's contact imports and uploads: JSON, CSV/XLS/XLSX files (multipart), uploaded files, jobs.

None of them is retried once sent: a resend would import (or store) twice.
"""

from __future__ import annotations

import json
import mimetypes
import os
import re
from collections.abc import Mapping, Sequence
from typing import IO, Any, Final, Literal

from crmbridge.adapters.rechat._resources._shared import (
    SYSTEM,
    IdLike,
    Json,
    json_reader,
    uuid_arg,
    wire_bodies,
)
from crmbridge.errors import InvalidIdError
from crmbridge.http import Endpoint, RequestSpec

__all__ = [
    "IMPORT_FILE_FIELD",
    "FileInput",
    "ImportKind",
    "get_import_job",
    "import_contacts_csv",
    "import_contacts_json",
    "import_contacts_xls",
    "import_contacts_xlsx",
    "import_uploaded_file",
    "upload_contacts_file",
]

FileInput = bytes | IO[bytes]
"""A file argument: its bytes, or a binary file object (read whole before the request)."""
ImportKind = Literal["csv", "xls", "xlsx"]
"""The formats ``POST /contacts/import.{kind}`` takes."""
IMPORT_FILE_FIELD: Final = "file"
"""The multipart field a file travels in (crmbridge's assumption: the vendor documents none)."""
_FILE_TYPES: Final = {
    "csv": "text/csv",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

_JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")


def _job_id(value: str) -> str:
    if not isinstance(value, str) or not _JOB_ID.fullmatch(value):
        raise InvalidIdError(SYSTEM, "job", "letters, digits, '-' or '_'")
    return value


def import_contacts_json(contacts: Sequence[Mapping[str, Any]]) -> Endpoint[Json]:
    """``POST /contacts/import.json``: ContactInput dicts; the import job (a plain dict) to poll."""
    body = {"contacts": wire_bodies(contacts)}
    return Endpoint(RequestSpec("POST", "/contacts/import.json", body=body, idempotent=False), json_reader("job"))


def _file_part(
    content: FileInput, filename: str | None, content_type: str | None, default: str | None = None
) -> tuple[str, bytes, str]:
    """``(filename, bytes, content type)``; the name is ``filename``, else the file object's, else ``default``.

    A file object is read whole, so a retry could resend it all.
    """
    if isinstance(content, bytes | bytearray | memoryview):
        data = bytes(content)
    else:
        data = content.read()
        if not isinstance(data, bytes):
            raise TypeError("the file must be bytes or a binary file object (open it with 'rb')")
    if filename is None:
        name = getattr(content, "name", None)
        filename = os.path.basename(name) if isinstance(name, str) and name else default
    if not filename:
        raise ValueError("a filename is needed (Rechat keeps it and checks its extension)")
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    kind = content_type or _FILE_TYPES.get(suffix) or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return filename, data, kind


def _import_options(owner: IdLike | None, mappings: Mapping[str, Mapping[str, Any]] | None) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if owner is not None:
        options["owner"] = uuid_arg(owner, "user")
    if mappings is not None:
        options["mappings"] = {str(header): dict(mapping) for header, mapping in mappings.items()}
    return options


def _import_file(
    kind: ImportKind,
    content: FileInput,
    filename: str | None,
    owner: IdLike | None,
    mappings: Mapping[str, Mapping[str, Any]] | None,
) -> Endpoint[Json]:
    if kind not in _FILE_TYPES:
        raise ValueError(f"kind must be one of {', '.join(_FILE_TYPES)}")
    part = _file_part(content, filename, None, default=f"contacts.{kind}")
    files: dict[str, Any] = {IMPORT_FILE_FIELD: part}
    for name, value in _import_options(owner, mappings).items():
        files[name] = (None, value if isinstance(value, str) else json.dumps(value))
    spec = RequestSpec("POST", f"/contacts/import.{kind}", files=files, idempotent=False)
    return Endpoint(spec, json_reader("job"))


def import_contacts_csv(
    content: FileInput,
    *,
    filename: str | None = None,
    owner: IdLike | None = None,
    mappings: Mapping[str, Mapping[str, Any]] | None = None,
) -> Endpoint[Json]:
    """``POST /contacts/import.csv`` (multipart field ``file``): the import job (a plain dict).

    ``owner`` owns the new contacts (Rechat's default: the caller); ``mappings`` maps CSV headers
    to ``{attribute_type | attribute_def, label?, is_primary?, is_partner?}``. The file name
    defaults to the file object's, else ``contacts.csv``. Not idempotent: never resent.
    """
    return _import_file("csv", content, filename, owner, mappings)


def import_contacts_xls(
    content: FileInput,
    *,
    filename: str | None = None,
    owner: IdLike | None = None,
    mappings: Mapping[str, Mapping[str, Any]] | None = None,
) -> Endpoint[Json]:
    """``POST /contacts/import.xls`` (multipart field ``file``); as :func:`import_contacts_csv`."""
    return _import_file("xls", content, filename, owner, mappings)


def import_contacts_xlsx(
    content: FileInput,
    *,
    filename: str | None = None,
    owner: IdLike | None = None,
    mappings: Mapping[str, Mapping[str, Any]] | None = None,
) -> Endpoint[Json]:
    """``POST /contacts/import.xlsx`` (multipart field ``file``); as :func:`import_contacts_csv`."""
    return _import_file("xlsx", content, filename, owner, mappings)


def upload_contacts_file(
    content: FileInput, *, filename: str | None = None, content_type: str | None = None
) -> Endpoint[Json]:
    """``POST /contacts/upload`` (multipart field ``file``): the stored file (a plain dict with its ``id``).

    The file name is required (given, or the file object's): Rechat keeps it and checks its
    extension. Not idempotent: every upload stores a new file.
    """
    files = {IMPORT_FILE_FIELD: _file_part(content, filename, content_type)}
    spec = RequestSpec("POST", "/contacts/upload", files=files, idempotent=False)
    return Endpoint(spec, json_reader("file"))


def import_uploaded_file(
    file_id: IdLike,
    *,
    kind: ImportKind = "csv",
    owner: IdLike | None = None,
    mappings: Mapping[str, Mapping[str, Any]] | None = None,
) -> Endpoint[Json]:
    """``POST /contacts/import.{kind}`` with JSON ``{file_id, owner?, mappings?}``: imports an uploaded file.

    This is the body the open-sourced Rechat server reads. Not idempotent: never resent.
    """
    if kind not in _FILE_TYPES:
        raise ValueError(f"kind must be one of {', '.join(_FILE_TYPES)}")
    body = {"file_id": uuid_arg(file_id, "file"), **_import_options(owner, mappings)}
    spec = RequestSpec("POST", f"/contacts/import.{kind}", body=body, idempotent=False)
    return Endpoint(spec, json_reader("job"))


def get_import_job(job_id: str) -> Endpoint[Json]:
    """``GET /contacts/jobs/{job_id}``: the state of an import job (a plain dict)."""
    return Endpoint(RequestSpec("GET", f"/contacts/jobs/{_job_id(job_id)}"), json_reader("job"))
