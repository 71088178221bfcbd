"""The tenants file: many brokerages (tenants) in one TOML file, each a migration or a feed.

A tenant names its source CRM and either a target CRM (a migration) or a feed folder, the kinds to
move, conversions, a links file (fixed counterparts such as users), and for each side the vendor
*account* whose rate budget it draws from (several tenants may share one account: one Activix
account, one budget). Credentials are never written in the file: each side names an environment
variable (``token_env``) or a secret (``token_secret``, a file in ``$CRMBRIDGE_SECRETS_DIR``, by
default ``/run/secrets``, where Docker and Kubernetes mount them). A file with an inline
credential is refused, as is any unknown key; every error names the tenant and the key.

.. code-block:: toml

    [accounts.activix-main]
    requests = 200
    per_seconds = 60

    [tenants.acme]
    kinds = ["contact", "activity"]
    links = "acme-links.toml"          # "system:kind:id" = "system:kind:id"
    mapping = "acme-mapping.toml"      # a field mapping file (custom fields), see crmbridge.sync._field_mapping

    [tenants.acme.source]
    system = "estateprime"
    account = "estateprime-acme"
    token_env = "ACME_ESTATEPRIME_TOKEN"
    base_url = "https://acme.estateprime.example/api/v1"

    [tenants.acme.target]
    system = "activix"
    account = "activix-main"
    token_secret = "acme-activix-token"
    options = { default_lead_type = "web_order" }
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator, model_validator

from crmbridge.canonical import Ref
from crmbridge.errors import CrmBridgeError, FieldMappingError
from crmbridge.sync._field_mapping import FieldMapping, load_field_mapping

__all__ = [
    "Account",
    "FeedOptions",
    "Side",
    "Tenant",
    "Tenants",
    "TenantsFileError",
    "load_tenants",
    "parse_tenants",
]

SECRETS_DIR_ENV = "CRMBRIDGE_SECRETS_DIR"
DEFAULT_SECRETS_DIR = "/run/secrets"

_CREDENTIAL_WORDS = ("token", "secret", "password", "api_key", "apikey", "credential")
Name = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]


class TenantsFileError(CrmBridgeError, ValueError):
    """A tenants file that cannot be used: unreadable, not TOML, or a key with a bad value."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Account(_Strict):
    """A vendor account's rate budget, shared by every worker drawing on it."""

    requests: int = Field(gt=0)
    per_seconds: float = Field(default=1.0, gt=0)

    @property
    def rate(self) -> float:
        """Requests per second."""
        return self.requests / self.per_seconds


def _is_credential(key: str) -> bool:
    lowered = key.lower()
    return any(word in lowered for word in _CREDENTIAL_WORDS)


class Side(_Strict):
    """One CRM of a tenant: which system, where, the account it draws on and how to find its token."""

    system: str
    account: Name
    token_env: str | None = None
    token_secret: str | None = None
    base_url: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _refuse_inline_credentials(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            inline = [k for k in data if k not in ("token_env", "token_secret") and _is_credential(k)]
            options = data.get("options")
            if isinstance(options, Mapping):
                inline += [f"options.{k}" for k in options if _is_credential(k)]
            if inline:
                raise ValueError(
                    f"inline credential {inline[0]!r} refused: name an environment variable (token_env) "
                    "or a secret (token_secret) instead"
                )
        return data

    @model_validator(mode="after")
    def _one_token_source(self) -> Side:
        if (self.token_env is None) == (self.token_secret is None):
            raise ValueError("give exactly one of token_env or token_secret")
        return self

    @field_validator("token_secret")
    @classmethod
    def _plain_secret_name(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", value):
            raise ValueError("a secret name is a file name (letters, digits, '_', '.', '-')")
        return value

    def token(self) -> str:
        """The token, from its environment variable or secret file (never from the tenants file)."""
        if self.token_env is not None:
            value = os.environ.get(self.token_env)
            if not value:
                raise TenantsFileError(f"environment variable {self.token_env} is not set")
            return value
        folder = Path(os.environ.get(SECRETS_DIR_ENV, DEFAULT_SECRETS_DIR))
        path = folder / str(self.token_secret)
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError:
            raise TenantsFileError(f"secret {self.token_secret!r} not found in {folder}") from None

    def connect_options(self) -> dict[str, Any]:
        """What :func:`crmbridge.connect` takes for this side (token included)."""
        base = {"base_url": self.base_url} if self.base_url else {}
        return {**self.options, **base, "token": self.token()}


class FeedOptions(_Strict):
    """A feed tenant: each kind appends its changes to ``<output>/<kind>.ndjson``."""

    output: Path
    full_scan: bool = False


class Tenant(_Strict):
    """One brokerage: a migration (``target``) or a feed (``feed``) of ``source``."""

    name: Name
    source: Side
    target: Side | None = None
    feed: FeedOptions | None = None
    kinds: list[str] | None = None
    conversions: dict[str, str] = Field(default_factory=dict)
    links: Path | None = None
    mapping: Path | None = None
    options: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _migration_or_feed(self) -> Tenant:
        if (self.target is None) == (self.feed is None):
            raise ValueError("give exactly one of target (a migration) or feed")
        if self.target is not None and self.target.system == self.source.system:
            raise ValueError("source and target are the same system")
        unknown = set(self.options) - {"dry_run"}
        if unknown:
            raise ValueError(f"unknown option {sorted(unknown)[0]!r} (known: dry_run)")
        return self

    @property
    def accounts(self) -> tuple[str, ...]:
        """The accounts this tenant draws on (source first)."""
        sides = [self.source] + ([self.target] if self.target is not None else [])
        return tuple(dict.fromkeys(side.account for side in sides))

    def field_mapping(self) -> FieldMapping | None:
        """The tenant's field mapping file, parsed (None without one); errors name the tenant."""
        return _field_mapping(self)

    def link_map(self) -> dict[Ref, Ref]:
        """The fixed counterparts of the links file (a TOML table of ``"source ref" = "target ref"``)."""
        if self.links is None:
            return {}
        try:
            data = tomllib.loads(self.links.read_text(encoding="utf-8"))
            return {Ref.parse(a): Ref.parse(str(b)) for a, b in data.get("links", data).items()}
        except (OSError, tomllib.TOMLDecodeError, ValueError, AttributeError) as error:
            raise TenantsFileError(f"tenants.{self.name}.links: {self.links}: {error}") from None


def _field_mapping(tenant: Tenant) -> FieldMapping | None:
    if tenant.mapping is None:
        return None
    try:
        return load_field_mapping(tenant.mapping)
    except FieldMappingError as error:
        raise TenantsFileError(f"tenants.{tenant.name}.mapping: {error}") from None


class Tenants(_Strict):
    """Every tenant of a tenants file, and the accounts they draw on."""

    accounts: dict[Name, Account] = Field(default_factory=dict)
    tenants: dict[str, Tenant] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _accounts_declared(self) -> Tenants:
        for tenant in self.tenants.values():
            sides = {"source": tenant.source, "target": tenant.target}
            for where, side in sides.items():
                if side is not None and side.account not in self.accounts:
                    raise ValueError(
                        f"tenants.{tenant.name}.{where}.account: {side.account!r} is not declared under [accounts]"
                    )
        return self

    def only(self, name: str) -> Tenants:
        """These tenants narrowed to one."""
        if name not in self.tenants:
            raise TenantsFileError(f"no tenant {name!r} (known: {', '.join(sorted(self.tenants)) or 'none'})")
        return self.model_copy(update={"tenants": {name: self.tenants[name]}})


def _message(error: ValidationError) -> str:
    """The first problem as ``tenants.<name>.<key>: what is wrong``."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    text = first["msg"].removeprefix("Value error, ")
    return f"{where}: {text}" if where else text


def _with_names(data: dict[str, Any], base: Path) -> dict[str, Any]:
    """The raw file with each tenant's name filled in and its relative paths made relative to the file."""
    tenants = data.get("tenants", {})
    if not isinstance(tenants, dict):
        return data
    out = {}
    for name, tenant in tenants.items():
        if isinstance(tenant, dict):
            tenant = {**tenant, "name": name}
            for key in ("links", "mapping"):
                if isinstance(tenant.get(key), str):
                    tenant[key] = str(base / tenant[key])
            feed = tenant.get("feed")
            if isinstance(feed, dict) and isinstance(feed.get("output"), str):
                tenant["feed"] = {**feed, "output": str(base / feed["output"])}
        out[name] = tenant
    return {**data, "tenants": out}


def parse_tenants(text: str, *, base: Path = Path()) -> Tenants:
    """Tenants from TOML text (relative paths are taken from ``base``)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise TenantsFileError(f"not valid TOML: {error}") from None
    try:
        return Tenants.model_validate(_with_names(data, base))
    except ValidationError as error:
        raise TenantsFileError(_message(error)) from None


def load_tenants(path: str | Path) -> Tenants:
    """Read and validate a tenants file; :class:`TenantsFileError` names the tenant and key at fault."""
    location = Path(path)
    try:
        text = location.read_text(encoding="utf-8")
    except OSError as error:
        raise TenantsFileError(f"cannot read tenants file {location}: {error.strerror}") from None
    return parse_tenants(text, base=location.parent)
