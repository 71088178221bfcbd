"""The tenants file: what it accepts, what it refuses (naming tenant and key), and where tokens come from."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmbridge.canonical import Ref
from crmbridge.sync import TenantsFileError, load_tenants, parse_tenants

ACCOUNTS = """
[accounts.ep]
requests = 100
[accounts.ax]
requests = 200
per_seconds = 60
"""

SOURCE = """
[tenants.acme.source]
system = "estateprime"
account = "ep"
token_env = "ACME_EP_TOKEN"
"""

TARGET = """
[tenants.acme.target]
system = "activix"
account = "ax"
token_secret = "acme-activix"
options = { default_lead_type = "web_order" }
"""


def _parse(*parts: str) -> object:
    return parse_tenants("\n".join((ACCOUNTS, "[tenants.acme]", *parts)))


def test_a_valid_file_gives_tenants_accounts_and_rates() -> None:
    """A migration tenant is read with its sides, accounts and rates."""
    tenants = parse_tenants(ACCOUNTS + '[tenants.acme]\nkinds = ["contact"]\n' + SOURCE + TARGET)
    acme = tenants.tenants["acme"]
    assert acme.name == "acme"
    assert acme.accounts == ("ep", "ax")
    assert acme.target is not None
    assert acme.target.options == {"default_lead_type": "web_order"}
    assert tenants.accounts["ax"].rate == pytest.approx(200 / 60)
    assert tenants.only("acme").tenants.keys() == {"acme"}


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ((SOURCE, TARGET.replace('token_secret = "acme-activix"', 'token = "abc"')), "tenants.acme.target: inline"),
        ((SOURCE, TARGET + 'api_key = "abc"\n'), "tenants.acme.target: inline credential 'api_key'"),
        (
            (SOURCE, TARGET.replace("default_lead_type", "password")),
            "tenants.acme.target: inline credential 'options.password'",
        ),
        ((SOURCE, TARGET + "colour = 1\n"), "tenants.acme.target.colour: Extra inputs are not permitted"),
        ((SOURCE, TARGET.replace('account = "ax"', 'account = "nope"')), "tenants.acme.target.account: 'nope' is not"),
        ((SOURCE,), "tenants.acme: give exactly one of target"),
        ((SOURCE, TARGET.replace("activix", "estateprime")), "tenants.acme: source and target are the same"),
        ((SOURCE, TARGET, "[tenants.acme.options]\nturbo = true\n"), "tenants.acme: unknown option 'turbo'"),
        (
            (SOURCE.replace('token_env = "ACME_EP_TOKEN"', 'token_secret = "../x"'), TARGET),
            "tenants.acme.source.token_secret: a secret name is a file name",
        ),
        ((SOURCE.replace('token_env = "ACME_EP_TOKEN"', ""), TARGET), "tenants.acme.source: give exactly one of"),
        ((SOURCE.replace('"ep"', '"Bad Name"'), TARGET), "tenants.acme.source.account: String should match"),
    ],
)
def test_a_bad_file_is_refused_naming_tenant_and_key(parts: tuple[str, ...], message: str) -> None:
    """Every refusal names the tenant and the key at fault; inline credentials are refused."""
    with pytest.raises(TenantsFileError, match="^" + message.replace("(", r"\(").replace(".", r"\.")):
        _parse(*parts)


def test_not_toml_and_unreadable_files_are_refused(tmp_path: Path) -> None:
    """A file that is not TOML, or cannot be read, is a TenantsFileError too."""
    with pytest.raises(TenantsFileError, match="not valid TOML"):
        parse_tenants("[tenants.acme\n")
    with pytest.raises(TenantsFileError, match="cannot read tenants file"):
        load_tenants(tmp_path / "missing.toml")
    with pytest.raises(TenantsFileError, match="no tenant 'zed'"):
        parse_tenants(ACCOUNTS).only("zed")


def test_tokens_come_from_the_environment_or_a_secret_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """token_env reads the variable, token_secret the file in CRMBRIDGE_SECRETS_DIR; missing ones are named."""
    acme = parse_tenants(ACCOUNTS + "[tenants.acme]\n" + SOURCE + TARGET).tenants["acme"]
    assert acme.target is not None
    monkeypatch.delenv("ACME_EP_TOKEN", raising=False)
    with pytest.raises(TenantsFileError, match="ACME_EP_TOKEN is not set"):
        acme.source.token()
    monkeypatch.setenv("ACME_EP_TOKEN", "from-env")
    assert acme.source.connect_options() == {"token": "from-env"}
    monkeypatch.setenv("CRMBRIDGE_SECRETS_DIR", str(tmp_path))
    with pytest.raises(TenantsFileError, match="secret 'acme-activix' not found"):
        acme.target.token()
    (tmp_path / "acme-activix").write_text("from-secret\n", encoding="utf-8")
    assert acme.target.connect_options()["token"] == "from-secret"


def test_links_and_feed_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    """A links file is read as 'ref' = 'ref' pairs from beside the tenants file; a bad one names the tenant."""
    (tmp_path / "links.toml").write_text('"estateprime:user:2" = "activix:user:1"\n', encoding="utf-8")
    text = ACCOUNTS + '[tenants.acme]\nlinks = "links.toml"\n' + SOURCE + TARGET
    text += '[tenants.feeder]\nfeed = { output = "out" }\n' + SOURCE.replace("acme", "feeder")
    (tmp_path / "tenants.toml").write_text(text, encoding="utf-8")
    tenants = load_tenants(tmp_path / "tenants.toml")
    assert tenants.tenants["acme"].link_map() == {Ref("estateprime", "user", "2"): Ref("activix", "user", "1")}
    feeder = tenants.tenants["feeder"]
    assert feeder.feed is not None
    assert feeder.feed.output == tmp_path / "out"
    assert feeder.link_map() == {}
    (tmp_path / "links.toml").write_text('"estateprime-user-2" = "activix:user:1"\n', encoding="utf-8")
    with pytest.raises(TenantsFileError, match=r"tenants\.acme\.links: .*a Ref is written"):
        tenants.tenants["acme"].link_map()


def test_a_tenant_names_its_field_mapping_relative_to_the_file(tmp_path: Path) -> None:
    """A tenant's mapping file is found next to the tenants file; a broken one is refused naming tenant and line."""
    (tmp_path / "acme-mapping.toml").write_text("[[field]]\nfrom = 'Budget'\nto = 'budget'\n", encoding="utf-8")
    text = ACCOUNTS + '[tenants.acme]\nmapping = "acme-mapping.toml"\n' + SOURCE + TARGET
    acme = parse_tenants(text, base=tmp_path).tenants["acme"]
    mapping = acme.field_mapping()
    assert mapping is not None
    assert [(line.source.name, line.target.name) for line in mapping.lines] == [("Budget", "budget")]
    (tmp_path / "acme-mapping.toml").write_text("[[field]]\nfrom = 'Budget'\n", encoding="utf-8")
    with pytest.raises(
        TenantsFileError, match=r"tenants\.acme\.mapping: .*acme-mapping\.toml:1: give exactly one of to"
    ):
        acme.field_mapping()
    assert parse_tenants(ACCOUNTS + "[tenants.acme]\n" + SOURCE + TARGET).tenants["acme"].field_mapping() is None
