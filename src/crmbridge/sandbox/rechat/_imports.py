"""The Rechat sandbox's file routes: ``POST /contacts/upload`` and ``POST /contacts/import.(csv|xls|xlsx)``.

An import names its file in one of two ways:

- a ``multipart/form-data`` body whose file part is the field ``file`` (crmbridge's assumption:
  the server snapshot does not document a direct upload to ``import.*``), with optional text
  fields ``owner`` (a user UUID) and ``mappings`` (a JSON object);
- a JSON body ``{file_id, owner?, mappings?}`` naming a file stored by ``POST /contacts/upload``
  (what the open-sourced Rechat server's controller reads).

The sandbox imports at once and answers the finished job (state ``completed`` or ``failed``);
``GET /contacts/jobs/{job_id}`` reads it again. Spreadsheets are accepted but not parsed: the
sandbox has no spreadsheet library, so an ``xls``/``xlsx`` job fails with a message saying so.

CSV columns: without ``mappings``, a header is the name of a global attribute type
(``first_name``, ``last_name``, ``email``, ``phone_number``, ``company``, ``job_title``, ``note``,
``city``, ``birthday``, ...; see :data:`CSV_COLUMNS`), matched case-insensitively with spaces or
``-`` read as ``_``; ``tags`` (or ``tag``) holds tags separated by ``;`` or ``,``. With
``mappings`` (``{"<header>": {"attribute_type" | "attribute_def", "label"?, "is_primary"?,
"is_partner"?}}``), only the mapped headers are read. Any other column is ignored and listed
in the job's ``ignored_columns``. Dates are epoch seconds or ``YYYY-MM-DD`` (UTC midnight).
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import io
import json
import re
import uuid
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

from crmbridge.sandbox.rechat._contact_model import GLOBAL_DEFS
from crmbridge.sandbox.rechat._contacts import build_contact
from crmbridge.sandbox.rechat._http import (
    Call,
    RechatError,
    Upload,
    not_found,
    now,
    ok,
    require_uuid,
    validation,
)
from crmbridge.sandbox.rechat._state import SandboxState

__all__ = ["CSV_COLUMNS", "FILE_FIELD", "import_csv", "import_xls", "import_xlsx", "upload_file"]

Document = dict[str, Any]

FILE_FIELD = "file"
"""The multipart field an import's file travels in (crmbridge's assumption)."""

_TAG_COLUMNS = ("tags", "tag")
CSV_COLUMNS: tuple[str, ...] = (
    *(d["name"] for d in GLOBAL_DEFS if d["editable"] and d["name"] != "tag"),
    *_TAG_COLUMNS,
)
"""The CSV headers read without ``mappings``: editable global attribute types, plus ``tags``."""

_SPREADSHEET_MESSAGE = (
    "The crmbridge sandbox does not parse {kind} spreadsheets (no spreadsheet library is installed); "
    "export the sheet as CSV and use POST /contacts/import.csv"
)


# Files -----------------------------------------------------------------------------------------


def _render_file(document: Document) -> Document:
    return {k: v for k, v in document.items() if k not in ("brand", "content")}


def _store_file(state: SandboxState, call: Call, upload: Upload) -> Document:
    ident = str(uuid.uuid4())
    stamp = now()
    document = {
        "id": ident,
        "type": "file",
        "name": upload.filename,
        "mime": upload.content_type,
        "size": len(upload.content),
        "sha256": hashlib.sha256(upload.content).hexdigest(),
        "public": False,
        "url": None,  # the sandbox serves no file contents
        "preview_url": None,
        "created_by": call.user_id,
        "created_at": stamp,
        "updated_at": stamp,
        "brand": call.brand,
        "content": base64.b64encode(upload.content).decode("ascii"),
    }
    state.store.put("files", ident, document)
    return document


def upload_file(state: SandboxState, call: Call) -> Response:
    """POST /contacts/upload: stores the (first) file part, whatever its field name; the file object."""
    if not call.uploads:
        raise validation(f"A file is required: send it as the multipart field {FILE_FIELD!r}")
    return ok(_render_file(_store_file(state, call, call.uploads[0])))


def _source(state: SandboxState, call: Call) -> tuple[Document, str, bytes]:
    """The import's options, the file name and its bytes (400 when no file is named)."""
    upload = next((u for u in call.uploads if u.field == FILE_FIELD), None)
    if upload is not None:
        options: Document = dict(call.body) if isinstance(call.body, dict) else {}
        return options, upload.filename, upload.content
    options = call.body_object()
    if call.uploads or options.get("file_id") is None:
        raise validation(f"A file is required: the multipart field {FILE_FIELD!r}, or the file_id of an upload")
    file_id = require_uuid(options["file_id"], "file_id")
    document = state.store.get("files", file_id)
    if document is None or document.get("brand") != call.brand:
        raise not_found(f"File {file_id}")
    return options, str(document["name"]), base64.b64decode(document["content"])


def _owner(state: SandboxState, call: Call, options: Mapping[str, Any]) -> str:
    raw = options.get("owner")
    if raw is None or raw == "":
        return call.user_id
    return state.require_member(raw, call.brand, "owner")


def _mappings(state: SandboxState, call: Call, options: Mapping[str, Any]) -> dict[str, tuple[Document, Document]]:
    """``{header: (mapping, attribute definition)}``; empty when no mappings were sent."""
    raw = options.get("mappings")
    if raw is None or raw == "":
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise validation("mappings must be a JSON object") from None
    if not isinstance(raw, dict) or not all(isinstance(m, dict) for m in raw.values()):
        raise validation("mappings must be an object of {attribute_type | attribute_def, ...} objects")
    out: dict[str, tuple[Document, Document]] = {}
    for header, mapping in raw.items():
        if mapping.get("attribute_def") is None and mapping.get("attribute_type") is None:
            raise validation(f'Mapping "{header}" has no attribute_def or attribute_type defined.')
        out[str(header)] = (mapping, state.attribute_def(call.brand, mapping))
    return out


def _job(state: SandboxState, call: Call, kind: str, name: str, fields: Document) -> Response:
    ident = str(uuid.uuid4())
    job = {"id": ident, "type": "job", "kind": kind, "file_name": name, "created_at": now(), **fields}
    state.store.put("jobs", ident, {**job, "brand": call.brand})
    return ok(job)


# CSV -------------------------------------------------------------------------------------------


def _normalized(header: str) -> str:
    return re.sub(r"[\s-]+", "_", header.strip().lower())


def _columns(
    state: SandboxState, call: Call, headers: list[str], mapped: dict[str, tuple[Document, Document]]
) -> tuple[dict[str, tuple[Document, Document]], list[str]]:
    """The headers that are read (with their mapping and definition) and the ignored ones."""
    used: dict[str, tuple[Document, Document]] = {}
    ignored: list[str] = []
    for header in headers:
        if mapped:
            if header in mapped:
                used[header] = mapped[header]
            else:
                ignored.append(header)
            continue
        name = _normalized(header)
        if name in _TAG_COLUMNS:
            name = "tag"
        elif name not in CSV_COLUMNS:
            ignored.append(header)
            continue
        mapping = {"attribute_type": name}
        used[header] = (mapping, state.attribute_def(call.brand, mapping))
    return used, ignored


def _cell_value(definition: Mapping[str, Any], text: str) -> Any:
    if definition["data_type"] == "text":
        return text
    try:
        return float(text)
    except ValueError:
        pass
    if definition["data_type"] == "date":
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise validation(f"{definition['name']}: {text!r} is not epoch seconds or YYYY-MM-DD") from None
        return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp()
    raise validation(f"{definition['name']}: {text!r} is not a number")


def _row_attributes(row: Mapping[str, Any], used: dict[str, tuple[Document, Document]]) -> list[Document]:
    attributes: list[Document] = []
    for header, (mapping, definition) in used.items():
        cell = row.get(header)
        text = cell.strip() if isinstance(cell, str) else ""
        if not text:
            continue
        extra: Document = {k: mapping[k] for k in ("label", "is_primary", "is_partner") if k in mapping}
        base: Document = {"attribute_def": definition["id"], **extra}
        values = [t.strip() for t in re.split(r"[;,]", text) if t.strip()] if definition["name"] == "tag" else [text]
        column = str(definition["data_type"])
        attributes.extend({**base, column: _cell_value(definition, v)} for v in values)
    return attributes


def import_csv(state: SandboxState, call: Call) -> Response:
    """POST /contacts/import.csv: one contact per data row, owned by ``owner`` (default: the caller).

    Rows that cannot be imported are reported in the job's ``errors`` (``index`` = data row,
    ``line`` = line of the file); the others are imported. Rows of empty cells are skipped. A
    file that is not UTF-8 text or has no header row makes a failed job.
    """
    options, name, content = _source(state, call)
    owner = _owner(state, call, options)
    mapped = _mappings(state, call, options)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _job(state, call, "csv", name, _failed("The CSV file is not UTF-8 text", "Validation"))
    reader = csv.DictReader(io.StringIO(text, newline=""))
    headers = [h for h in (reader.fieldnames or []) if h is not None]
    if not any(h.strip() for h in headers):
        return _job(state, call, "csv", name, _failed("The CSV file has no header row", "Validation"))
    used, ignored = _columns(state, call, headers, mapped)
    stamp = now()
    created, rows, errors = 0, 0, []
    for row in reader:
        if not any(isinstance(cell, str) and cell.strip() for cell in row.values()):
            continue  # a row of empty cells (what spreadsheets export after the data) is skipped
        index = rows
        rows += 1
        try:
            attributes = _row_attributes(row, used)
            if not attributes:
                raise validation("The row has no value in an imported column")
            attributes.append({"attribute_type": "source_type", "text": "CSV"})
            data = {"user": owner, "attributes": attributes}
            contact = build_contact(state, call.brand, call.user_id, data, stamp, created_for="import_csv")
        except RechatError as error:
            errors.append({"index": index, "line": reader.line_num, "code": error.code, "message": error.message})
            continue
        state.store.put("contacts", contact["id"], contact)
        created += 1
    fields = {"state": "completed", "rows": rows, "created": created, "failed": len(errors), "errors": errors}
    return _job(state, call, "csv", name, {**fields, "ignored_columns": ignored})


# Spreadsheets ----------------------------------------------------------------------------------


def _failed(message: str, code: str = "Unsupported") -> Document:
    return {
        "state": "failed",
        "rows": 0,
        "created": 0,
        "failed": 0,
        "errors": [{"code": code, "message": message}],
        "message": message,
    }


def _spreadsheet(state: SandboxState, call: Call, kind: str) -> Response:
    options, name, _content = _source(state, call)
    _owner(state, call, options)
    _mappings(state, call, options)
    return _job(state, call, kind, name, _failed(_SPREADSHEET_MESSAGE.format(kind=kind)))


def import_xls(state: SandboxState, call: Call) -> Response:
    """POST /contacts/import.xls: the file is accepted; the job fails (the sandbox parses no spreadsheet)."""
    return _spreadsheet(state, call, "xls")


def import_xlsx(state: SandboxState, call: Call) -> Response:
    """POST /contacts/import.xlsx: the file is accepted; the job fails (the sandbox parses no spreadsheet)."""
    return _spreadsheet(state, call, "xlsx")
