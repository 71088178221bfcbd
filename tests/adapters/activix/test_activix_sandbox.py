"""The Activix sandbox, driven over httpx with every request and response checked against the OpenAPI file."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from crmbridge.sandbox import FaultConfig, Sandbox
from crmbridge.sandbox._openapi import ContractViolation, OpenAPIContract, openapi_path
from crmbridge.sandbox.activix import BASE_URL, make_sandbox

from ..._counting import StoreCounter

CONTRACT = OpenAPIContract(openapi_path("activix"))
PREFIX = "/v2"
_REGISTRY: Registry[Any] = Registry().with_resource(
    "urn:activix", Resource.from_contents(CONTRACT.document, default_specification=DRAFT202012)
)


def _schema_check(instance: Any, component: str) -> None:
    """Validate ``instance`` against ``components/schemas/<component>``."""
    validator = jsonschema.Draft202012Validator(
        {"$ref": f"urn:activix#/components/schemas/{component}"}, registry=_REGISTRY
    )
    validator.validate(instance)


def _documented_query_names(method: str, template: str) -> set[str]:
    item = CONTRACT.document["paths"][template]
    names = set()
    for parameter in [*item.get("parameters", []), *item[method.lower()].get("parameters", [])]:
        if "$ref" in parameter:
            parameter = CONTRACT.document["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
        if parameter["in"] == "query":
            names.add(parameter["name"])
    return names


class Api:
    """An httpx client of a sandbox that checks every exchange against the contract and records operations."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.http = httpx.Client(transport=sandbox.transport(), base_url=sandbox.base_url)
        self.seen: set[tuple[str, str]] = set()

    def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Any = None,
        files: dict[str, Any] | None = None,
        token: str | None = None,
        valid: bool = True,
    ) -> httpx.Response:
        """Send one documented request; ``valid=False`` asserts the contract also rejects the body."""
        url_path = "/" + path
        template = CONTRACT.find(method, url_path)
        self._check_request(method, url_path, template, json, files, valid)
        headers = {"Authorization": f"Bearer {self.sandbox.token if token is None else token}"}
        response = self.http.request(method, path, json=json, params=params, files=files, headers=headers)
        self._check_query(method, template, response.request)
        assert response.request.url.path.startswith(PREFIX)
        CONTRACT.validate_response(method, url_path, response.status_code, response.json())
        self.seen.add((method, template))
        return response

    @staticmethod
    def _check_request(method: str, url_path: str, template: str, body: Any, files: Any, valid: bool) -> None:
        if files is not None:
            # The shared checker reads JSON bodies only: check the multipart fields against their schema here.
            schema = CONTRACT.document["paths"][template]["post"]["requestBody"]["content"]["multipart/form-data"]
            fields = dict.fromkeys(files, "<file>")
            if valid:
                jsonschema.validate(fields, schema["schema"])
            else:
                with pytest.raises(jsonschema.ValidationError):
                    jsonschema.validate(fields, schema["schema"])
        elif valid:
            CONTRACT.validate_request(method, url_path, body)
        else:
            with pytest.raises(ContractViolation):
                CONTRACT.validate_request(method, url_path, body)

    @staticmethod
    def _check_query(method: str, template: str, request: httpx.Request) -> None:
        documented = _documented_query_names(method, template)
        for name in request.url.params:
            base = name if name.endswith("[]") else name.split("[", 1)[0]
            assert base in documented, f"{name} is not a documented query parameter of {method} {template}"

    def raw(self, method: str, path: str) -> httpx.Response:
        """An undocumented request (wrong method): its body must still be an Activix error object."""
        response = self.http.request(method, path, headers={"Authorization": f"Bearer {self.sandbox.token}"})
        _schema_check(response.json(), "Error")
        return response


@pytest.fixture(scope="module")
def seeded() -> Api:
    """A read-only sandbox with 120 seeded leads, shared by the module."""
    return Api(make_sandbox(seed_records=120, seed=7))


@pytest.fixture
def api() -> Api:
    """A fresh sandbox with a few seeded leads, for tests that write."""
    return Api(make_sandbox(seed_records=5, seed=1))


def _lead(api: Api, **fields: Any) -> dict[str, Any]:
    body = {"type": "email", "first_name": "Élise", "last_name": "Tremblay", **fields}
    response = api.call("POST", "leads", json=body)
    assert response.status_code == 201, response.json()
    data: dict[str, Any] = response.json()["data"]
    return data


def _with(api: Api, lead_id: int, *includes: str) -> dict[str, Any]:
    data: dict[str, Any] = api.call("GET", f"leads/{lead_id}", params={"include[]": list(includes)}).json()["data"]
    return data


# -- every operation ------------------------------------------------------------------------------


def test_every_documented_operation_is_served(api: Api) -> None:
    """A tour through all twenty operations exercises exactly the set the OpenAPI file documents."""
    lead = _lead(api, phones=[{"number": "+15145550101", "type": "mobile"}])
    assert api.call("GET", "leads").status_code == 200
    assert api.call("GET", "leads/search", params={"query": "Tremblay"}).json()["meta"]["total"] >= 1
    assert api.call("GET", f"leads/{lead['id']}").json()["data"]["id"] == lead["id"]
    assert api.call("PUT", f"leads/{lead['id']}", json={"city": "Laval"}).json()["data"]["city"] == "Laval"
    email = api.call("POST", "lead-emails", json={"lead_id": lead["id"], "address": "e@x.example", "type": "home"})
    assert api.call("PUT", f"lead-emails/{email.json()['data']['id']}", json={"type": "work"}).status_code == 200
    phone = api.call("POST", "lead-phones", json={"lead_id": lead["id"], "number": "+15145550102", "type": "home"})
    assert api.call("PUT", f"lead-phones/{phone.json()['data']['id']}", json={"extension": 12}).status_code == 200
    vehicle = api.call("POST", "lead-vehicles", json={"lead_id": lead["id"], "type": "wanted", "make": "Honda"})
    assert api.call("PUT", f"lead-vehicles/{vehicle.json()['data']['id']}", json={"year": 2024}).status_code == 200
    note = api.call("POST", f"leads/{lead['id']}/notes", json={"content": "Called back"})
    assert (
        api.call("PUT", f"leads/{lead['id']}/notes/{note.json()['data']['id']}", json={"content": "x"}).status_code
        == 200
    )
    assert api.call("GET", "account").status_code == 200
    body = {"lead_id": lead["id"], "method": "phone", "type": "outgoing", "call_status": "pending"}
    communication = api.call("POST", "communications", json=body).json()["data"]
    assert api.call("PUT", f"communications/{communication['id']}", json=body).status_code == 200
    files = {"recording": ("call.mp3", b"ID3audio", "audio/mpeg")}
    assert api.call("POST", f"communications/{communication['id']}/recording", files=files).status_code == 200
    log = api.call("POST", "call-logs", json={"lead_id": lead["id"], "status": "calling"}).json()["data"]
    assert api.call("PUT", f"call-logs/{log['id']}", json={"status": "answered"}).status_code == 200
    assert api.call("POST", "screenpop", json={"lead_id": lead["id"], "user_id": 1}).status_code == 200
    assert api.seen == set(CONTRACT.operations())


# -- errors ---------------------------------------------------------------------------------------


def test_a_missing_or_wrong_token_gets_401(seeded: Api) -> None:
    """Without the sandbox's bearer token every operation answers 401 Unauthenticated."""
    for token in ("", "wrong-token"):
        response = seeded.call("GET", "leads", token=token)
        assert (response.status_code, response.json()) == (401, {"message": "Unauthenticated."})
    assert (
        seeded.call(
            "POST", "communications", json={"lead_id": 1, "method": "sms", "type": "incoming"}, token="x"
        ).status_code
        == 401
    )


def test_unknown_ids_get_404_naming_the_model(api: Api) -> None:
    """Unknown ids answer 404 with Laravel's "No query results for model ..." message."""
    assert api.call("GET", "leads/999999").json() == {"message": "No query results for model Lead."}
    response = api.call("PUT", "lead-emails/999999", json={"type": "home"})
    assert (response.status_code, response.json()["message"]) == (404, "No query results for model LeadEmail.")
    assert api.call("PUT", "call-logs/999", json={}).json()["message"] == "No query results for model CallLog."


def test_a_wrong_method_gets_405_and_communications_cannot_be_read(api: Api) -> None:
    """There is no GET for communications, and no DELETE for leads: both answer 405 with a JSON message."""
    for method, path in (("GET", "communications/1"), ("DELETE", "leads/1"), ("GET", "communications")):
        response = api.raw(method, path)
        assert (response.status_code, response.json()) == (405, {"message": "Method not allowed."})
    assert api.raw("GET", "no-such-thing").status_code == 404


def test_a_body_that_is_not_a_json_object_gets_400(api: Api) -> None:
    """A JSON array body is a malformed request."""
    response = api.call("POST", "communications", json=[1, 2], valid=False)
    assert response.status_code == 400


def test_lead_create_requires_type_and_names_each_invalid_field(api: Api) -> None:
    """Missing ``type`` and an out-of-range rating come back together in one 422."""
    response = api.call("POST", "leads", json={"first_name": "Sam", "rating": 9}, valid=False)
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"type", "rating"}
    assert response.json()["message"] == "The given data was invalid."


# -- lists ----------------------------------------------------------------------------------------


def test_pages_carry_links_and_meta(seeded: Api) -> None:
    """Page 2 of 120 leads by 50 links its neighbours with the same query and counts positions."""
    body = seeded.call(
        "GET", "leads", params={"per_page": 50, "page": 2, "filter[division]": "new,used,service,none"}
    ).json()
    meta, links = body["meta"], body["links"]
    assert (meta["current_page"], meta["from"], meta["to"], meta["last_page"], meta["total"]) == (2, 51, 100, 3, 120)
    assert meta["path"] == f"{BASE_URL}/leads"
    assert len(body["data"]) == 50
    next_url = httpx.URL(links["next"])
    assert next_url.params["page"] == "3"
    assert next_url.params["per_page"] == "50"
    assert next_url.params["filter[division]"] == "new,used,service,none"
    assert httpx.URL(links["prev"]).params["page"] == "1"
    last = seeded.call("GET", "leads", params={"per_page": 50, "page": 3}).json()
    assert last["links"]["next"] is None
    assert last["meta"]["to"] == 120


def test_default_page_size_is_25_and_out_of_range_is_422(seeded: Api) -> None:
    """``per_page`` defaults to 25; 0, 101 and a non-number are 422s naming the parameter."""
    assert seeded.call("GET", "leads").json()["meta"]["per_page"] == 25
    for per_page in ("0", "101", "ten"):
        response = seeded.call("GET", "leads", params={"per_page": per_page})
        assert response.status_code == 422
        assert "per_page" in response.json()["errors"]
    assert seeded.call("GET", "leads", params={"page": 0}).json()["errors"].keys() == {"page"}


def test_lists_are_newest_first(seeded: Api) -> None:
    """Leads come back by descending ``created_at`` across pages."""
    stamps = [
        lead["created_at"]
        for page in (1, 2)
        for lead in seeded.call("GET", "leads", params={"page": page}).json()["data"]
    ]
    assert stamps == sorted(stamps, reverse=True)


def test_date_filters_take_a_day_or_operators(seeded: Api) -> None:
    """``filter[created_at]=day`` is that UTC day; ``gte``/``lt`` bound the range."""
    every = seeded.call("GET", "leads", params={"per_page": 100, "page": 1}).json()["data"]
    day = every[10]["created_at"][:10]
    same_day = seeded.call("GET", "leads", params={"filter[created_at]": day}).json()["data"]
    assert same_day
    assert all(lead["created_at"].startswith(day) for lead in same_day)
    ranged = seeded.call(
        "GET",
        "leads",
        params={"filter[created_at][gte]": "2024-06-01", "filter[created_at][lt]": "2025-01-01", "per_page": 100},
    ).json()
    assert ranged["meta"]["total"] > 0
    assert all("2024-06-01" <= lead["created_at"][:10] < "2025-01-01" for lead in ranged["data"])
    updated = seeded.call("GET", "leads", params={"filter[updated_at][gt]": "2025-06-30"}).json()["data"]
    assert all(lead["updated_at"][:10] > "2025-06-30" for lead in updated)
    sold = seeded.call("GET", "leads", params={"filter[sale_date][lte]": "2030-01-01", "per_page": 100}).json()["data"]
    assert sold
    assert all(lead["sale_date"] is not None for lead in sold)


def test_bad_filters_are_422(seeded: Api) -> None:
    """The docs' ``filter[created]`` typo, an unknown operator and a bad date are each named in a 422."""
    for key, value, field in (
        ("filter[created][lte]", "2024-01-01", "filter.created.lte"),
        ("filter[created_at][eq]", "2024-01-01", "filter.created_at.eq"),
        ("filter[created_at]", "01/02/2024", "filter.created_at"),
        ("filter[name][gte]", "a", "filter.name.gte"),
    ):
        response = seeded.call("GET", "leads", params={key: value})
        assert response.status_code == 422
        assert field in response.json()["errors"]


def test_text_filters_match_names_emails_phones_postal_codes_and_divisions(api: Api) -> None:
    """Wildcards end a name, email or phone; postal codes match by prefix; divisions by a comma list."""
    lead = _lead(
        api,
        first_name="Zoé",
        last_name="Quintal",
        second_contact="Garage Quintal",
        postal_code="H3B 1K9",
        division="used",
        emails=[{"address": "zoe.quintal@mail.example", "type": "home"}],
        phones=[{"number": "(514) 555-0199", "type": "work"}],
    )

    def ids(**params: str) -> list[int]:
        return [found["id"] for found in api.call("GET", "leads", params=params).json()["data"]]

    assert ids(**{"filter[name]": "Zoé Quintal"}) == [lead["id"]]
    assert ids(**{"filter[name]": "quin%"}) == [lead["id"]]
    assert ids(**{"filter[name]": "Garage Quintal"}) == [lead["id"]]
    assert ids(**{"filter[email]": "zoe.q%"}) == [lead["id"]]
    assert ids(**{"filter[phone]": "514555019%"}) == [lead["id"]]
    assert ids(**{"filter[phone]": "+15145550199"}) == [lead["id"]]
    assert ids(**{"filter[postal_code]": "h3b"}) == [lead["id"]]
    assert lead["id"] in ids(**{"filter[division]": "new,used"})
    assert lead["id"] not in ids(**{"filter[division]": "service,none"})


def test_search_matches_names_emails_phones_and_postal_codes(api: Api) -> None:
    """``/leads/search`` finds a lead by second contact, email, phone digits and a 3- or 6-character postal code."""
    lead = _lead(
        api,
        second_contact="Nadia Okonkwo",
        postal_code="G1R 4P5",
        emails=[{"address": "n.okonkwo@work.example", "type": "work"}],
        phones=[{"number": "+14185550123", "type": "mobile"}],
    )
    for query in ("okonkwo", "n.okonkwo@work", "418 555-0123", "g1r", "G1R4P5", "Tremblay"):
        found = api.call("GET", "leads/search", params={"query": query}).json()["data"]
        assert lead["id"] in [each["id"] for each in found], query
    assert api.call("GET", "leads/search", params={"query": "zzzz-nobody"}).json()["meta"]["total"] == 0
    assert api.call("GET", "leads/search", params={"query": ""}).json()["errors"].keys() == {"query"}


# -- includes -------------------------------------------------------------------------------------


def test_includes_accept_both_spellings(api: Api) -> None:
    """``emails`` and ``leadEmails`` (and the phone and vehicle twins) both nest the items under the documented key."""
    lead = _lead(
        api,
        emails=[{"address": "a@b.example", "type": "home"}],
        phones=[{"number": "+15145550111", "type": "home"}],
        vehicles=[{"type": "exchange", "make": "Ford", "model": "Escape", "year": 2019}],
    )
    documented = _with(api, lead["id"], "emails", "phones", "vehicles")
    spelled = _with(api, lead["id"], "leadEmails", "leadPhones", "leadVehicles")
    assert documented == spelled
    assert documented["emails"][0]["address"] == "a@b.example"
    assert documented["phones"][0]["number"] == "+15145550111"
    assert documented["vehicles"][0]["model"] == "Escape"
    assert "emails" not in _with(api, lead["id"])


def test_includes_cover_users_account_and_custom_fields(seeded: Api) -> None:
    """Seeded leads include their advisor, the account and custom fields; unknown names are a 422."""
    data = seeded.call(
        "GET",
        "leads",
        params={"include[]": ["advisor", "bdc", "account", "custom_fields", "associated_leads", "tasks"]},
    ).json()["data"]
    assert all(lead["advisor"]["email"] for lead in data)
    assert {lead["account"]["id"] for lead in data} == {1}
    assert any(lead["custom_fields"] for lead in data)
    assert any(lead["associated_leads"] for lead in data)
    response = seeded.call("GET", "leads", params={"include[]": "owner"})
    assert response.status_code == 422
    assert "include" in response.json()["errors"]


def test_account_includes_its_users(seeded: Api) -> None:
    """``GET /account`` is an array of one account; ``include[]=users`` nests the users."""
    data = seeded.call("GET", "account", params={"include[]": "users"}).json()["data"]
    assert len(data) == 1
    assert len(data[0]["users"]) == 4
    assert "did" not in data[0]["users"][0]


# -- leads: writes --------------------------------------------------------------------------------


def test_lead_update_is_partial_and_arrays_append(api: Api) -> None:
    """Fields left out stay; ``emails``/``phones``/``vehicles`` on PUT add to what is there."""
    lead = _lead(api, city="Québec", emails=[{"address": "home@x.example", "type": "home"}])
    assert lead["created_method"] == "api"
    updated = api.call(
        "PUT",
        f"leads/{lead['id']}",
        json={"rating": 4, "emails": [{"address": "work@x.example", "type": "work"}], "vehicles": [{"type": "wanted"}]},
    ).json()["data"]
    assert (updated["city"], updated["rating"], updated["first_name"]) == ("Québec", 4, "Élise")
    nested = _with(api, lead["id"], "emails", "vehicles")
    assert [email["address"] for email in nested["emails"]] == ["home@x.example", "work@x.example"]
    assert len(nested["vehicles"]) == 1


def test_one_email_and_one_phone_per_type(api: Api) -> None:
    """A second email or phone of a type is a 422 naming the field, on every write path."""
    lead = _lead(
        api, emails=[{"address": "a@x.example", "type": "home"}], phones=[{"number": "+15145550100", "type": "mobile"}]
    )
    response = api.call("POST", "lead-emails", json={"lead_id": lead["id"], "address": "b@x.example", "type": "home"})
    assert response.status_code == 422
    assert response.json()["errors"]["type"] == ["The lead already has an email of type home."]
    response = api.call("PUT", f"leads/{lead['id']}", json={"phones": [{"number": "+15145550101", "type": "mobile"}]})
    assert "phones.0.type" in response.json()["errors"]
    two = [{"address": "c@x.example", "type": "work"}, {"address": "d@x.example", "type": "work"}]
    assert "emails.1.type" in api.call("POST", "leads", json={"type": "sms", "emails": two}).json()["errors"]
    work = api.call(
        "POST", "lead-phones", json={"lead_id": lead["id"], "number": "+15145550102", "type": "work"}
    ).json()["data"]
    clash = api.call("PUT", f"lead-phones/{work['id']}", json={"type": "mobile"})
    assert clash.status_code == 422
    assert [p["type"] for p in _with(api, lead["id"], "phones")["phones"]] == ["mobile", "work"]


def test_item_endpoints_check_the_lead_and_normalise_numbers(api: Api) -> None:
    """An unknown lead id is a 422; a national number is stored in E.164."""
    response = api.call("POST", "lead-phones", json={"lead_id": 999999, "number": "+15145550100", "type": "home"})
    assert response.json()["errors"]["lead_id"] == ["The selected lead id is invalid."]
    lead = _lead(api)
    phone = api.call(
        "POST", "lead-phones", json={"lead_id": lead["id"], "number": "514-555-0177", "type": "home"}
    ).json()
    assert (phone["data"]["number"], phone["data"]["valid"]) == ("+15145550177", True)
    bad = api.call("POST", "lead-phones", json={"lead_id": lead["id"], "number": "not a number", "type": "work"})
    assert "number" in bad.json()["errors"]


def test_advisor_links_an_existing_user(api: Api) -> None:
    """``advisor`` matches a user by id, email or full name; an unknown one is a 422."""
    users = api.call("GET", "account", params={"include[]": "users"}).json()["data"][0]["users"]
    first, second = users[0], users[1]
    lead = _lead(api, advisor={"email": first["email"].upper()})
    assert _with(api, lead["id"], "advisor")["advisor"]["id"] == first["id"]
    by_name = {"first_name": second["first_name"], "last_name": second["last_name"]}
    api.call("PUT", f"leads/{lead['id']}", json={"bdc": by_name})
    assert _with(api, lead["id"], "advisor", "bdc")["bdc"]["id"] == second["id"]
    response = api.call("PUT", f"leads/{lead['id']}", json={"advisor": {"id": 424242}})
    assert response.json()["errors"] == {"advisor": ["The selected advisor is invalid."]}


def test_trigger_alerts_fires_the_new_lead_alert(api: Api) -> None:
    """``trigger_alerts=true`` records an alert; a non-boolean value is a 422."""
    response = api.call("POST", "leads", params={"trigger_alerts": "true"}, json={"type": "phone"})
    assert api.sandbox.store.count("alerts") == 1
    assert response.status_code == 201
    assert api.call("POST", "leads", params={"trigger_alerts": "maybe"}, json={"type": "phone"}).status_code == 422


def test_notes_need_content_or_a_file_and_stay_under_their_lead(api: Api) -> None:
    """A note needs content or file_url, replies to a note of its lead, and is 404 under another lead."""
    lead, other = _lead(api), _lead(api)
    parent = api.call("POST", f"leads/{lead['id']}/notes", json={"file_url": "https://files.example/a.pdf"}).json()[
        "data"
    ]
    reply = api.call(
        "POST", f"leads/{lead['id']}/notes", json={"content": "ok", "parent_id": parent["id"], "user_id": 1}
    )
    assert reply.json()["data"]["parent_id"] == parent["id"]
    assert api.call("POST", f"leads/{lead['id']}/notes", json={"content": None}).json()["errors"].keys() == {"content"}
    assert (
        api.call("POST", f"leads/{other['id']}/notes", json={"content": "x", "parent_id": parent["id"]}).status_code
        == 422
    )
    assert api.call("PUT", f"leads/{other['id']}/notes/{parent['id']}", json={"content": "x"}).status_code == 404
    assert api.call("POST", "leads/999999/notes", json={"content": "x"}).status_code == 404


# -- communications -------------------------------------------------------------------------------


def test_write_only_fields_are_stored_but_never_returned(api: Api) -> None:
    """email_subject/body/user and url are kept by the sandbox yet absent from every response."""
    lead = _lead(api)
    private = {"email_subject": "Your quote", "email_body": "Dear Élise", "email_user": "sales@dealer.example"}
    body = {"lead_id": lead["id"], "method": "email", "type": "outgoing", **private}
    created = api.call("POST", "communications", json=body).json()["data"]
    video = {"lead_id": lead["id"], "method": "video", "type": "outgoing", "url": "https://video.example/1"}
    api.call("POST", "communications", json=video)
    listed = _with(api, lead["id"], "communications")["communications"]
    for communication in [created, *listed]:
        assert not {"email_subject", "email_body", "email_user", "url"} & communication.keys()
    stored = api.sandbox.store.get("communications", str(created["id"]))
    assert stored is not None
    assert stored["private"]["email_subject"] == "Your quote"


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00"])
def test_an_instant_outside_years_1_to_9999_in_utc_is_refused_with_422(api: Api, moment: str) -> None:
    """A date-time whose UTC instant no year 1-9999 holds is a 422 naming the field, never a 500."""
    lead = _lead(api)
    body = {"lead_id": lead["id"], "method": "phone", "type": "outgoing", "executed_at": moment}
    response = api.call("POST", "communications", json=body)
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"executed_at"}


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("0536-09-08T00:00:00+00:00", "0536-09-08T00:00:00+00:00"),
        ("0999-12-31T23:30:00-01:00", "1000-01-01T00:30:00+00:00"),
    ],
)
def test_years_below_1000_are_written_with_four_digits(api: Api, sent: str, stored: str) -> None:
    """A communication of year 536 reads back as 0536-..., valid against the sandbox's own schema."""
    lead = _lead(api)
    body = {"lead_id": lead["id"], "method": "phone", "type": "outgoing", "executed_at": sent}
    created = api.call("POST", "communications", json=body).json()["data"]
    assert created["executed_at"] == stored
    _schema_check(created, "Communication")
    listed = _with(api, lead["id"], "communications")["communications"]
    assert [c["executed_at"] for c in listed if c["id"] == created["id"]] == [stored]


def test_communication_create_requires_lead_method_and_type_update_is_partial(api: Api) -> None:
    """POST needs lead_id, method and type; PUT changes only what it sends; an unknown lead id is named."""
    lead = _lead(api)
    response = api.call("POST", "communications", json={"description": "hi"}, valid=False)
    assert set(response.json()["errors"]) == {"lead_id", "method", "type"}
    created = api.call(
        "POST", "communications", json={"lead_id": lead["id"], "method": "sms", "type": "incoming"}
    ).json()
    path = f"communications/{created['data']['id']}"
    update = api.call("PUT", path, json={"description": "x"}).json()["data"]
    assert (update["description"], update["method"], update["type"]) == ("x", "sms", "incoming")
    nulled = api.call("PUT", path, json={"method": None, "type": ""}, valid=False)
    assert set(nulled.json()["errors"]) == {"method", "type"}
    phone = api.call("POST", "communications", json={"lead_id": lead["id"], "method": "phone", "type": "outgoing"})
    answered = api.call(
        "PUT", f"communications/{phone.json()['data']['id']}", json={"call_duration": 25, "call_status": "answered"}
    ).json()["data"]
    assert (answered["call_duration"], answered["call_status"], answered["method"]) == (25, "answered", "phone")
    wrong = api.call("PUT", path, json={"call_duration": 5})
    assert set(wrong.json()["errors"]) == {"call_duration"}
    unknown = api.call("POST", "communications", json={"lead_id": 999999, "method": "sms", "type": "incoming"})
    assert unknown.json()["errors"] == {"lead_id": ["The selected lead id is invalid."]}


def test_attributes_of_another_method_are_refused(api: Api) -> None:
    """Call attributes on an email and a url on a call are 422s naming each field."""
    lead = _lead(api)
    body = {"lead_id": lead["id"], "method": "email", "type": "outgoing", "call_status": "answered", "call_duration": 5}
    assert set(api.call("POST", "communications", json=body).json()["errors"]) == {"call_status", "call_duration"}
    body = {"lead_id": lead["id"], "method": "phone", "type": "outgoing", "url": "https://v.example"}
    assert set(api.call("POST", "communications", json=body).json()["errors"]) == {"url"}


def test_open_enums_keep_new_values_and_a_method_change_clears_call_data(api: Api) -> None:
    """Unknown methods and call statuses are kept; switching a call to sms drops its call attributes."""
    lead = _lead(api)
    body = {
        "lead_id": lead["id"],
        "method": "phone",
        "type": "incoming",
        "call_status": "voicemail",
        "call_duration": 3,
    }
    call = api.call("POST", "communications", json=body).json()["data"]
    assert call["call_status"] == "voicemail"
    changed = api.call(
        "PUT", f"communications/{call['id']}", json={"lead_id": lead["id"], "method": "whatsapp", "type": "incoming"}
    )
    assert (changed.json()["data"]["method"], changed.json()["data"]["call_status"]) == ("whatsapp", None)


def test_executed_at_is_editable_in_utc_and_created_at_is_not(api: Api) -> None:
    """Any offset is stored in UTC; a created_at in the body is ignored."""
    lead = _lead(api)
    body = {"lead_id": lead["id"], "method": "sms", "type": "outgoing", "executed_at": "2022-01-22T01:00:00-05:00"}
    created = api.call("POST", "communications", json=body).json()["data"]
    assert created["executed_at"] == "2022-01-22T06:00:00+00:00"
    update = {**body, "executed_at": "2022-01-23T10:00:00Z", "created_at": "2000-01-01T00:00:00Z"}
    updated = api.call("PUT", f"communications/{created['id']}", json=update).json()["data"]
    assert (updated["executed_at"], updated["created_at"]) == ("2022-01-23T10:00:00+00:00", created["created_at"])
    bad = api.call("POST", "communications", json={**body, "executed_at": "yesterday"}, valid=False)
    assert "executed_at" in bad.json()["errors"]


def test_executed_by_becomes_user_id(api: Api) -> None:
    """``executed_by`` links the user and comes back as ``user_id``; an unknown user is a 422."""
    lead = _lead(api)
    body = {"lead_id": lead["id"], "method": "sms", "type": "outgoing", "executed_by": 2}
    assert api.call("POST", "communications", json=body).json()["data"]["user_id"] == 2
    assert "executed_by" in api.call("POST", "communications", json={**body, "executed_by": 999}).json()["errors"]


def test_recording_upload_replaces_and_checks_the_file(api: Api) -> None:
    """A wav or mp3 is stored (a second upload replaces it); other files and a missing field are 422s."""
    lead = _lead(api)
    call = api.call(
        "POST", "communications", json={"lead_id": lead["id"], "method": "phone", "type": "outgoing"}
    ).json()
    path = f"communications/{call['data']['id']}/recording"
    api.call("POST", path, files={"recording": ("a.wav", b"RIFF....WAVE", "audio/wav")})
    response = api.call("POST", path, files={"recording": ("b.mp3", b"ID3-longer-audio", "audio/mpeg")})
    assert response.json() == {"message": "Recording uploaded successfully."}
    stored = api.sandbox.store.get("recordings", str(call["data"]["id"]))
    assert stored is not None
    assert (stored["filename"], stored["size"]) == ("b.mp3", 16)
    assert api.sandbox.store.count("recordings") == 1
    wrong = api.call("POST", path, files={"recording": ("a.txt", b"text", "text/plain")})
    assert wrong.status_code == 422
    assert "recording" in wrong.json()["errors"]
    missing = api.call("POST", path, files={"other": ("a.wav", b"RIFF", "audio/wav")}, valid=False)
    assert missing.json()["errors"] == {"recording": ["The recording field is required."]}
    assert (
        api.call(
            "POST", "communications/999999/recording", files={"recording": ("a.wav", b"R", "audio/wav")}
        ).status_code
        == 404
    )


# -- call logs and screen pop ---------------------------------------------------------------------


def test_call_log_finds_the_lead_by_phone_or_creates_one(api: Api) -> None:
    """Without lead_id the customer's number picks an existing lead, or a new phone_system lead is made."""
    lead = _lead(api, phones=[{"number": "+15145550123", "type": "mobile"}])
    body = {"direction": "outgoing", "to": "+15145550123", "from": "+15145559999", "status": "calling"}
    log = api.call("POST", "call-logs", json=body).json()["data"]
    assert (log["lead_id"], log["lead"]["id"]) == (lead["id"], lead["id"])
    stranger = api.call("POST", "call-logs", json={"direction": "incoming", "from": "+14185550188"}).json()["data"]
    assert stranger["lead"]["created_method"] == "phone_system"
    assert _with(api, stranger["lead_id"], "phones")["phones"][0]["number"] == "+14185550188"
    communication = _with(api, lead["id"], "communications")["communications"][0]
    assert communication["id"] == log["communication_id"]
    assert (communication["method"], communication["call_status"], communication["call_phone"]) == (
        "phone",
        "calling",
        "+15145550123",
    )


def test_call_log_update_completes_the_call(api: Api) -> None:
    """end_at and duration must come together; the communication follows the update."""
    lead = _lead(api)
    users = api.call("GET", "account", params={"include[]": "users"}).json()["data"][0]["users"]
    created = api.call(
        "POST",
        "call-logs",
        json={"lead_id": lead["id"], "start_at": "2024-03-01T10:00:00-05:00", "user_email": users[0]["email"]},
    ).json()["data"]
    half = api.call("PUT", f"call-logs/{created['id']}", json={"end_at": "2024-03-01T15:05:00Z"})
    assert half.json()["errors"].keys() == {"duration"}
    done = api.call(
        "PUT",
        f"call-logs/{created['id']}",
        json={"end_at": "2024-03-01T15:05:00Z", "duration": 300, "status": "answered"},
    ).json()["data"]
    assert (done["start_at"], done["duration"], done["status"]) == ("2024-03-01T15:00:00+00:00", 300, "answered")
    communication = _with(api, lead["id"], "communications")["communications"][0]
    assert (communication["call_duration"], communication["user_id"]) == (300, users[0]["id"])
    assert (
        "user_email"
        in api.call("POST", "call-logs", json={"lead_id": lead["id"], "user_email": "no@one.example"}).json()["errors"]
    )
    assert "lead_id" in api.call("POST", "call-logs", json={"status": "calling"}).json()["errors"]


def test_screenpop_needs_a_lead_and_a_user(api: Api) -> None:
    """(lead_id or lead_did) and (user_id or user_did) answer 200; a missing side or unknown id is a 422."""
    assert api.call("POST", "screenpop", json={"lead_did": "+15145550100", "user_did": "+15145550101"}).json() == {
        "message": "Screen pop sent."
    }
    assert api.call("POST", "screenpop", json={"lead_id": 1}, valid=False).json()["errors"].keys() == {"user_id"}
    assert api.call("POST", "screenpop", json={"lead_id": 999999, "user_id": 1}).json()["errors"].keys() == {"lead_id"}


# -- state, seeding, faults, async, scale ---------------------------------------------------------


def test_sqlite_state_survives_a_restart(tmp_path: Path) -> None:
    """With ``db``, a restarted sandbox has the same leads and items and keeps counting ids."""
    path = tmp_path / "activix.db"
    first = Api(make_sandbox(seed_records=3, db=path))
    lead = _lead(first, emails=[{"address": "kept@x.example", "type": "home"}])
    first.sandbox.store.close()
    again = Api(make_sandbox(seed_records=3, db=path))
    assert again.call("GET", "leads").json()["meta"]["total"] == 4
    assert _with(again, lead["id"], "emails")["emails"][0]["address"] == "kept@x.example"
    assert _lead(again)["id"] == lead["id"] + 1
    again.sandbox.store.close()


def test_seeding_is_deterministic_and_realistic() -> None:
    """The same seed gives the same leads; seeded data has Canadian addresses, E.164 phones and every call status."""
    one, two = make_sandbox(seed_records=30, seed=3), make_sandbox(seed_records=30, seed=3)
    assert list(one.store.scan("leads")) == list(two.store.scan("leads"))
    assert list(one.store.scan("communications")) == list(two.store.scan("communications"))
    assert list(make_sandbox(seed_records=30, seed=4).store.scan("leads")) != list(one.store.scan("leads"))
    leads = list(one.store.scan("leads"))
    assert len(leads) == 30
    assert all(lead["country"] == "CA" and len(lead["province"]) == 2 for lead in leads)
    assert all(len(lead["postal_code"].replace(" ", "")) == 6 for lead in leads)
    assert all(phone["number"].startswith("+1") for phone in one.store.scan("phones"))
    years = {lead["created_at"][:4] for lead in leads}
    assert years <= {"2024", "2025"}
    assert len(years) == 2
    communications = list(one.store.scan("communications"))
    assert {c["method"] for c in communications} >= {"phone", "email", "sms", "video"}
    statuses = Counter(c["call_status"] for c in communications if c["method"] == "phone")
    assert set(statuses) >= {"answered", "attempted", "calling", "error", "interrupted", "pending", "unanswered"}
    assert make_sandbox(seed_records=1).store.count("communications") >= 10


def test_faults_are_injected_in_front_of_the_app() -> None:
    """A sandbox built with faults answers their errors, which the contract documents, and counts them."""
    api = Api(make_sandbox(faults=FaultConfig(error_rate=1.0, kinds=("503",))))
    assert api.call("GET", "leads").status_code == 503
    assert api.sandbox.faults is not None
    assert api.sandbox.faults.injected == {"503": 1}


def test_an_async_client_gets_the_same_answers() -> None:
    """The sandbox transport serves an async httpx client too."""
    sandbox = make_sandbox(seed_records=12, seed=5)

    async def fetch() -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {sandbox.token}"}
        async with httpx.AsyncClient(
            transport=sandbox.transport(), base_url=sandbox.base_url, headers=headers
        ) as client:
            response = await client.get("leads", params={"per_page": 5, "include[]": "phones"})
            body: dict[str, Any] = response.json()
            CONTRACT.validate_response("GET", "/leads", response.status_code, body)
            return body

    body = asyncio.run(fetch())
    assert (body["meta"]["total"], len(body["data"])) == (12, 5)


def test_lists_stay_cheap_over_ten_thousand_leads(monkeypatch: pytest.MonkeyPatch) -> None:
    """A filtered page of 10,000 leads with includes reads each lead once and only its own page's children."""
    # Counts, not seconds (the speed is in bench/sandbox_pages.py): a scan of a child collection,
    # a second pass over the leads or a per-lead search would multiply these numbers.
    api = Api(make_sandbox())
    for ident in range(1, 10_001):
        day = f"2024-{ident % 12 + 1:02d}-{ident % 28 + 1:02d}T12:00:00+00:00"
        lead = {"id": ident, "account_id": 1, "type": "web_order", "created_at": day, "updated_at": day}
        api.sandbox.store.put("leads", str(ident), lead)
    counted = StoreCounter(api.sandbox.store, monkeypatch)
    params = {"filter[created_at][gte]": "2024-06-01", "include[]": ["emails", "phones"], "page": 3}
    body = api.call("GET", "leads", params=params).json()
    assert body["meta"]["total"] > 5000
    assert len(body["data"]) == 25
    assert body["data"][0]["emails"] == []
    assert counted.scans["leads"] <= 1
    assert counted.gets["leads"] <= 10_000
    assert counted.scans["emails"] == counted.scans["phones"] == 0
    assert counted.gets["emails"] == counted.gets["phones"] == 0  # these leads have none
    counted.reset()
    again = api.call("GET", "leads", params={**params, "page": 4}).json()
    assert (counted.scans["leads"], len(again["data"])) == (0, 25), "the newest-first order is cached"


def test_unknown_keys_are_refused_where_the_file_closes_the_body(api: Api) -> None:
    """Email, phone, note, communication and call-log bodies with a key the file does not list are 422s naming it."""
    lead = _lead(api)
    cases = [
        ("POST", "lead-emails", {"lead_id": lead["id"], "address": "a@example.com", "type": "work", "x": 1}, "x"),
        (
            "POST",
            "lead-phones",
            {"lead_id": lead["id"], "number": "+15145550100", "type": "work", "mobile": True},
            "mobile",
        ),
        ("POST", f"leads/{lead['id']}/notes", {"content": "hi", "pinned": True}, "pinned"),
        ("POST", "communications", {"lead_id": lead["id"], "method": "sms", "type": "incoming", "body": "x"}, "body"),
        ("POST", "call-logs", {"lead_id": lead["id"], "colour": "red"}, "colour"),
        (
            "POST",
            "leads",
            {"type": "walk_in", "emails": [{"address": "b@example.com", "type": "home", "x": 1}]},
            "emails.0.x",
        ),
    ]
    for method, path, body, key in cases:
        response = api.call(method, path, json=body, valid=False)
        assert response.status_code == 422, (path, response.text)
        assert response.json()["errors"][key] == [f"The {key} field is not allowed."]
