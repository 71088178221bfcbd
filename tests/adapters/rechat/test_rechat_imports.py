"""Rechat file imports (CSV, XLS, XLSX, upload) through both clients, against the contract-checked sandbox."""

from __future__ import annotations

import asyncio
import inspect
import io
from collections.abc import Callable, Coroutine
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

import httpx
import pytest

from crmbridge.adapters.rechat.client import (
    AsyncRechatClient,
    RechatClient,
    import_contacts_csv,
    import_uploaded_file,
    upload_contacts_file,
)
from crmbridge.errors import AmbiguousWriteError, InvalidIdError, NotFoundError, UnprocessableRequestError
from crmbridge.sandbox import FaultConfig
from crmbridge.sandbox._openapi import ContractTransport, OpenAPIContract, openapi_path
from crmbridge.sandbox.rechat import RechatSandbox, make_sandbox

CONTRACT = OpenAPIContract(openapi_path("rechat"))
CSV = (
    b"first_name,Last Name,email,phone_number,company,tags,shoe_size\n"
    b'Ada,Lovelace,ada@example.com,+15550100,Analytical Engines,"VIP;Math",38\n'
    b"Grace,Hopper,grace@example.com,,US Navy,,40\n"
)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Client = RechatClient | AsyncRechatClient
Scenario = Callable[[Client, RechatSandbox], Coroutine[Any, Any, Any]]


class Recorder(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Keeps every request (body read) before handing it to the contract-checking transport."""

    def __init__(self, inner: ContractTransport) -> None:
        self.inner = inner
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return self.inner.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        return await self.inner.handle_async_request(request)


def parts(request: httpx.Request) -> dict[str, Message]:
    """The parts of a multipart/form-data request, by field name."""
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + request.content)
    assert message.is_multipart()
    return {str(part.get_param("name", header="content-disposition")): part for part in message.iter_parts()}


def client_for(sandbox: RechatSandbox, kind: str, token: str | None = None) -> tuple[Client, Recorder]:
    """A sync or async client of the sandbox (as ``token``'s user), recording its requests."""
    recorder = Recorder(ContractTransport(sandbox.transport(), CONTRACT))
    options: dict[str, Any] = {**sandbox.client_options(), "transport": recorder}
    if token is not None:
        options.update(token=token, brand=sandbox.extra_tokens[token])
    made: Client = RechatClient(**options) if kind == "sync" else AsyncRechatClient(**options)
    return made, recorder


async def done(value: Any) -> Any:
    """The value of a sync call, or of an awaited async one."""
    return await value if inspect.isawaitable(value) else value


async def collect(pager: Any) -> list[Any]:
    """Every item of a sync or async pager."""
    if hasattr(pager, "__aiter__"):
        return [item async for item in pager]
    return list(pager)


async def close(client: Client) -> None:
    """Close either twin."""
    if isinstance(client, AsyncRechatClient):
        await client.aclose()
    else:
        client.close()


def run(scenario: Scenario, sandbox: RechatSandbox, kind: str) -> Any:
    """Run one scenario with a fresh client of the given twin."""

    async def go() -> Any:
        client, _ = client_for(sandbox, kind)
        try:
            return await scenario(client, sandbox)
        finally:
            await close(client)

    return asyncio.run(go())


def other_token(sandbox: RechatSandbox) -> str:
    return next(t for t, brand in sandbox.extra_tokens.items() if brand and brand != sandbox.brand)


def colleague(sandbox: RechatSandbox) -> str:
    return next(u.id for u in sandbox.users if u.brands == (sandbox.brand,) and u.token != sandbox.token)


def me(sandbox: RechatSandbox) -> str:
    return sandbox.user(sandbox.token).id


def stored(sandbox: RechatSandbox, contact_id: Any) -> dict[str, Any]:
    """The sandbox's stored record of a contact."""
    assert sandbox.state is not None
    record = sandbox.state.store.get("contacts", str(contact_id))
    assert record is not None
    return record


@pytest.fixture
def sandbox() -> RechatSandbox:
    return make_sandbox(seed_records=10, seed=4)


TWINS = pytest.mark.parametrize("kind", ["sync", "async"])


# -- CSV -----------------------------------------------------------------------------------------


@TWINS
def test_csv_import_creates_contacts_of_the_callers_brand(sandbox: RechatSandbox, kind: str) -> None:
    """A CSV import makes one contact per row, owned by the caller in their brand, and listing finds them."""

    async def scenario(c: Client, sb: RechatSandbox) -> Any:
        job = await done(c.contacts.import_csv(CSV))
        listed = await collect(c.contacts.list(q=["Lovelace"], associations=["contact.user"]))
        grace = await collect(c.contacts.list(q=["Hopper"], associations=["contact.user"]))
        return job, listed, grace

    job, [ada], [grace] = run(scenario, sandbox, kind)
    assert (job["state"], job["rows"], job["created"], job["failed"]) == ("completed", 2, 2, 0)
    assert job["ignored_columns"] == ["shoe_size"]
    assert (ada.first_name, ada.last_name, ada.email, ada.company) == (
        "Ada",
        "Lovelace",
        "ada@example.com",
        "Analytical Engines",
    )
    assert ada.phone_number == "+15550100"
    assert sorted(ada.tags or []) == ["Math", "VIP"]
    assert ada.user is not None
    assert ada.user.id == me(sandbox)
    assert stored(sandbox, ada.id)["brand"] == sandbox.brand
    assert (grace.first_name, grace.company, grace.phone_number) == ("Grace", "US Navy", None)


@TWINS
def test_csv_import_job_is_readable_and_counts_the_rows(sandbox: RechatSandbox, kind: str) -> None:
    """GET /contacts/jobs/{id} answers the same finished job, with the failing row reported by line."""
    csv = b"first_name,birthday\nAda,1815-12-10\n,\nGrace,not a date\nAlan,1912-06-23\n"

    async def scenario(c: Client, sb: RechatSandbox) -> Any:
        job = await done(c.contacts.import_csv(csv, filename="people.csv"))
        return job, await done(c.contacts.get_job(job["id"]))

    job, again = run(scenario, sandbox, kind)
    assert again == job
    assert (job["rows"], job["created"], job["failed"]) == (3, 2, 1)
    assert job["file_name"] == "people.csv"
    [error] = job["errors"]
    assert (error["index"], error["line"], error["code"]) == (1, 4, "Validation")
    assert "not a date" in error["message"]


@TWINS
def test_csv_goes_as_the_multipart_field_file(sandbox: RechatSandbox, kind: str) -> None:
    """The client sends the CSV bytes as the multipart field ``file`` with its name and text/csv."""

    async def go() -> list[httpx.Request]:
        c, recorder = client_for(sandbox, kind)
        try:
            await done(c.contacts.import_csv(io.BytesIO(CSV), filename="crm.csv", owner=colleague(sandbox)))
        finally:
            await close(c)
        return recorder.requests

    [request] = asyncio.run(go())
    assert request.url.path == "/contacts/import.csv"
    sent = parts(request)
    assert set(sent) == {"file", "owner"}
    assert sent["file"].get_filename() == "crm.csv"
    assert sent["file"].get_content_type() == "text/csv"
    assert sent["file"].get_payload(decode=True) == CSV
    assert sent["owner"].get_payload(decode=True) == colleague(sandbox).encode()


def test_owner_and_mappings_choose_who_owns_what_and_which_columns_count(sandbox: RechatSandbox) -> None:
    """``owner`` gives the contacts to a colleague; ``mappings`` reads only the mapped headers."""
    c, _ = client_for(sandbox, "sync")
    assert isinstance(c, RechatClient)
    with c:
        job = c.contacts.import_csv(
            CSV,
            owner=colleague(sandbox),
            mappings={
                "Last Name": {"attribute_type": "last_name"},
                "email": {"attribute_type": "email", "label": "Work"},
            },
        )
        [ada] = c.contacts.list(q=["Lovelace"], associations=["contact.attributes", "contact.user"])
    assert job["created"] == 2
    assert job["ignored_columns"] == ["first_name", "phone_number", "company", "tags", "shoe_size"]
    assert ada.user is not None
    assert ada.user.id == colleague(sandbox)
    assert (ada.first_name, ada.last_name, ada.email) == (None, "Lovelace", "ada@example.com")
    assert [a.label for a in ada.attributes or [] if a.attribute_type == "email"] == ["Work"]


def test_owner_outside_the_brand_is_refused(sandbox: RechatSandbox) -> None:
    """An owner who is not a member of the brand makes the import 400, and nothing is created."""
    stranger = sandbox.user(other_token(sandbox)).id
    c, _ = client_for(sandbox, "sync")
    assert isinstance(c, RechatClient)
    with c:
        with pytest.raises(UnprocessableRequestError) as refused:
            c.contacts.import_csv(CSV, owner=stranger)
        assert list(c.contacts.list(q=["Lovelace"])) == []
    assert refused.value.status_code == 400
    assert refused.value.body["code"] == "Validation"


def test_a_csv_without_a_header_or_not_utf8_makes_a_failed_job(sandbox: RechatSandbox) -> None:
    """An empty file and a non-UTF-8 file are accepted but their jobs fail with a reason."""
    c, _ = client_for(sandbox, "sync")
    assert isinstance(c, RechatClient)
    with c:
        empty = c.contacts.import_csv(b"")
        latin = c.contacts.import_csv("first_name\nRenée\n".encode("latin-1"))
    assert (empty["state"], empty["created"], empty["message"]) == ("failed", 0, "The CSV file has no header row")
    assert (latin["state"], latin["message"]) == ("failed", "The CSV file is not UTF-8 text")


# -- missing file, spreadsheets ------------------------------------------------------------------


@TWINS
@pytest.mark.parametrize("route", ["/contacts/import.csv", "/contacts/import.xls", "/contacts/import.xlsx"])
def test_an_import_without_the_file_part_is_400(sandbox: RechatSandbox, kind: str, route: str) -> None:
    """A multipart body whose file is not in the field ``file`` is refused with 400 Validation."""

    async def scenario(c: Client, sb: RechatSandbox) -> Any:
        with pytest.raises(UnprocessableRequestError) as refused:
            await done(c.request("POST", route, files={"attachment": ("a.csv", CSV, "text/csv")}))
        return refused.value

    error = run(scenario, sandbox, kind)
    assert error.status_code == 400
    assert error.body["code"] == "Validation"
    assert "'file'" in error.body["message"]


@TWINS
def test_an_upload_without_a_file_part_is_400(sandbox: RechatSandbox, kind: str) -> None:
    """POST /contacts/upload with only a text field is refused with 400 Validation."""

    async def scenario(c: Client, sb: RechatSandbox) -> Any:
        with pytest.raises(UnprocessableRequestError) as refused:
            await done(c.request("POST", "/contacts/upload", files={"note": (None, "no file here")}))
        return refused.value

    error = run(scenario, sandbox, kind)
    assert (error.status_code, error.body["code"]) == (400, "Validation")


@TWINS
@pytest.mark.parametrize("ext", ["xls", "xlsx"])
def test_spreadsheets_are_accepted_and_their_job_fails_clearly(sandbox: RechatSandbox, kind: str, ext: str) -> None:
    """An xls/xlsx upload answers a failed job saying the sandbox does not parse spreadsheets."""

    async def scenario(c: Client, sb: RechatSandbox) -> Any:
        method = c.contacts.import_xls if ext == "xls" else c.contacts.import_xlsx
        before = await collect(c.contacts.list(limit=100))
        job = await done(method(b"PK\x03\x04 not really a workbook"))
        after = await collect(c.contacts.list(limit=100))
        return job, await done(c.contacts.get_job(job["id"])), before, after

    job, again, before, after = run(scenario, sandbox, kind)
    assert again == job
    assert (job["state"], job["kind"], job["created"], job["file_name"]) == ("failed", ext, 0, f"contacts.{ext}")
    assert "does not parse" in job["message"]
    assert job["errors"] == [{"code": "Unsupported", "message": job["message"]}]
    assert [c.id for c in after] == [c.id for c in before]  # nothing imported


def test_xlsx_goes_with_the_spreadsheet_content_type(sandbox: RechatSandbox) -> None:
    """The xlsx file part carries the OOXML content type and the file object's own name."""
    workbook = io.BytesIO(b"PK\x03\x04")
    workbook.name = "/tmp/exports/leads.xlsx"
    c, recorder = client_for(sandbox, "sync")
    assert isinstance(c, RechatClient)
    with c:
        job = c.contacts.import_xlsx(workbook)
    sent = parts(recorder.requests[0])["file"]
    assert (sent.get_filename(), sent.get_content_type()) == ("leads.xlsx", XLSX_TYPE)
    assert job["file_name"] == "leads.xlsx"


# -- upload, then import by id -------------------------------------------------------------------


@TWINS
def test_upload_stores_the_file_and_an_import_can_name_it(sandbox: RechatSandbox, kind: str) -> None:
    """An uploaded file comes back with its id and metadata; importing it by id creates its contacts."""

    async def scenario(c: Client, sb: RechatSandbox) -> Any:
        stored = await done(c.contacts.upload(CSV, filename="later.csv"))
        job = await done(c.contacts.import_uploaded(stored["id"], kind="csv"))
        return stored, job, await collect(c.contacts.list(q=["Hopper"]))

    upload, job, [grace] = run(scenario, sandbox, kind)
    assert (upload["type"], upload["name"], upload["mime"], upload["size"]) == (
        "file",
        "later.csv",
        "text/csv",
        len(CSV),
    )
    assert upload["public"] is False
    assert (job["state"], job["created"], job["file_name"]) == ("completed", 2, "later.csv")
    record = stored(sandbox, grace.id)
    assert (record["created_for"], record["source_type"]) == ("import_csv", "CSV")


def test_another_brand_cannot_import_an_uploaded_file(sandbox: RechatSandbox) -> None:
    """A file uploaded in one brand is "not found" from another brand."""
    mine, _ = client_for(sandbox, "sync")
    theirs, _ = client_for(sandbox, "sync", token=other_token(sandbox))
    assert isinstance(mine, RechatClient)
    assert isinstance(theirs, RechatClient)
    with mine, theirs:
        upload = mine.contacts.upload(io.BytesIO(CSV), filename="mine.csv")
        with pytest.raises(NotFoundError) as missing:
            theirs.contacts.import_uploaded(upload["id"])
    assert missing.value.body["code"] == "ResourceNotFound"


# -- brand isolation -----------------------------------------------------------------------------


@TWINS
def test_imported_contacts_and_job_stay_in_their_brand(sandbox: RechatSandbox, kind: str) -> None:
    """Another brand's user neither lists the imported contacts nor reads the import job."""

    async def go() -> tuple[Any, list[Any], list[Any], NotFoundError]:
        mine, _ = client_for(sandbox, kind)
        theirs, _ = client_for(sandbox, kind, token=other_token(sandbox))
        try:
            job = await done(mine.contacts.import_csv(CSV))
            own = await collect(mine.contacts.list(q=["Lovelace"]))
            foreign = await collect(theirs.contacts.list(q=["Lovelace"]))
            with pytest.raises(NotFoundError) as missing:
                await done(theirs.contacts.get_job(job["id"]))
        finally:
            await close(mine)
            await close(theirs)
        return job, own, foreign, missing.value

    job, own, foreign, missing = asyncio.run(go())
    assert job["created"] == 2
    assert [c.last_name for c in own] == ["Lovelace"]
    assert foreign == []
    assert missing.body["code"] == "ResourceNotFound"


# -- the builders ---------------------------------------------------------------------------------


def test_an_import_lost_after_sending_is_not_resent() -> None:
    """A dropped import raises AmbiguousWriteError after one attempt: a resend could import twice."""
    faulty = make_sandbox(seed=1, faults=FaultConfig(error_rate=1.0, kinds=("drop",), seed=1))
    c, recorder = client_for(faulty, "sync")
    assert isinstance(c, RechatClient)
    with c, pytest.raises(AmbiguousWriteError):
        c.contacts.import_csv(CSV)
    assert faulty.faults is not None
    assert faulty.faults.injected == {"drop": 1}
    assert len(recorder.requests) == 1


def test_file_arguments_are_checked_before_any_request() -> None:
    """Bytes need a filename for an upload, a text file object is refused, a bad file id too."""
    with pytest.raises(ValueError, match="filename"):
        upload_contacts_file(b"x")
    with pytest.raises(TypeError, match="binary"):
        import_contacts_csv(io.StringIO("first_name\nAda\n"))  # type: ignore[arg-type]
    with pytest.raises(InvalidIdError):
        import_uploaded_file("../etc/passwd")
    spec = import_contacts_csv(b"a\n1\n").spec
    assert (spec.idempotent, spec.files["file"][0]) == (False, "contacts.csv")
