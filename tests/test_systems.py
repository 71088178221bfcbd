"""One registration per CRM: a System descriptor is all get_adapter, connect, make_sandbox and the CLI need."""

from __future__ import annotations

import asyncio
import itertools
import sys
import textwrap
from collections.abc import AsyncIterator, Iterator, Mapping
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any, ClassVar

import pytest
from typer.testing import CliRunner

import crmbridge
from crmbridge import _systems
from crmbridge._systems import BUILTIN_SYSTEMS, ENTRY_POINT_GROUP, System, get_system, unregister_system
from crmbridge.adapters import Adapter, Resolver, get_adapter, register_adapter
from crmbridge.canonical import Contact, Record, Ref
from crmbridge.cli import app
from crmbridge.errors import CapabilityMissing, CrmBridgeError, UnknownSystem
from crmbridge.sandbox import make_sandbox


class AcmeAdapter(Adapter):
    """A third-party CRM whose contacts are ``{"id": "...", "name": "..."}``."""

    system: ClassVar[str] = "acme"
    kinds: ClassVar[frozenset[str]] = frozenset({"contact"})

    def to_canonical(self, kind: str, payload: Mapping[str, Any]) -> Record:
        self.check_kind(kind)
        return Contact(ref=Ref("acme", "contact", str(payload["id"])), display_name=payload["name"])

    def from_canonical(self, record: Record, *, resolve: Resolver | None = None) -> dict[str, Any]:
        assert isinstance(record, Contact)
        return {"name": record.display_name}

    def unsupported(self, record: Record) -> list[str]:
        return []


ACCOUNT: dict[str, dict[str, Any]] = {}
"""The one Acme account every backend of a test talks to (the CLI opens its own connection)."""


class AcmeBackend:
    """An in-memory Acme account: what a plugin's HTTP backend would do, without HTTP."""

    def __init__(self, **options: Any) -> None:
        self.adapter = AcmeAdapter()
        self.options = options
        self.records = ACCOUNT
        self._ids = itertools.count(len(ACCOUNT) + 1)
        self.closed = False

    def list_payloads(self, kind: str, filters: Mapping[str, Any]) -> Iterator[Any]:
        yield from self.records.values()

    def get_payload(self, kind: str, ident: str) -> Mapping[str, Any]:
        return self.records[ident]

    def create_payload(self, kind: str, body: dict[str, Any]) -> Ref:
        ident = str(next(self._ids))
        self.records[ident] = {"id": ident, **body}
        return Ref("acme", kind, ident)

    def update_payload(self, ref: Ref, body: dict[str, Any]) -> None:
        self.records[ref.id].update(body)

    def delete_payload(self, ref: Ref) -> None:
        del self.records[ref.id]

    def lookups(self) -> dict[str, Any]:
        return {}

    def close(self) -> None:
        self.closed = True


class AsyncAcmeBackend:
    """The async twin of :class:`AcmeBackend`."""

    def __init__(self, **options: Any) -> None:
        self.sync = AcmeBackend(**options)
        self.adapter = self.sync.adapter

    async def list_payloads(self, kind: str, filters: Mapping[str, Any]) -> AsyncIterator[Any]:
        for payload in self.sync.list_payloads(kind, filters):
            yield payload

    async def get_payload(self, kind: str, ident: str) -> Mapping[str, Any]:
        return self.sync.get_payload(kind, ident)

    async def create_payload(self, kind: str, body: dict[str, Any]) -> Ref:
        return self.sync.create_payload(kind, body)

    async def update_payload(self, ref: Ref, body: dict[str, Any]) -> None:
        self.sync.update_payload(ref, body)

    async def delete_payload(self, ref: Ref) -> None:
        self.sync.delete_payload(ref)

    async def lookups(self) -> dict[str, Any]:
        return {}

    async def aclose(self) -> None:
        self.sync.close()


ACME = System(
    name="acme", adapter=AcmeAdapter, backend=AcmeBackend, async_backend=AsyncAcmeBackend, description="Acme CRM"
)


@pytest.fixture(autouse=True)
def _empty_account() -> None:
    """Every test starts with an empty Acme account."""
    ACCOUNT.clear()


@pytest.fixture
def acme() -> Iterator[System]:
    """Acme registered for one test, forgotten after it."""
    crmbridge.register_system(ACME)
    yield ACME
    unregister_system("acme")


def test_builtin_systems_declare_every_part_and_each_part_loads() -> None:
    """Each built-in CRM's descriptor names an adapter, both backends and a sandbox, and each string imports."""
    assert sorted(BUILTIN_SYSTEMS) == ["activix", "estateprime", "rechat"]
    for name, system in BUILTIN_SYSTEMS.items():
        for capability in ("adapter", "backend", "async_backend", "sandbox"):
            assert system.has(capability), (name, capability)
            assert callable(system.factory(capability)), (name, capability)
        assert get_adapter(name).system == name


def test_a_registered_system_connects_sync_and_async(acme: System) -> None:
    """register_system is enough for connect(): create, list, get, update and delete go through its backend."""
    assert "acme" in crmbridge.available_systems()
    with crmbridge.connect("acme", token="t") as connection:
        ref = connection.create(Contact(display_name="Ada"))
        assert ref == Ref("acme", "contact", "1")
        connection.update(Contact(ref=ref, display_name="Ada L."))
        got = connection.get("contact", ref)
        assert isinstance(got, Contact)
        assert got.display_name == "Ada L."
        assert [r.display_name for r in connection.list("contact") if isinstance(r, Contact)] == ["Ada L."]
        connection.delete(ref)
        assert list(connection.list("contact")) == []

    async def run() -> list[str]:
        async with crmbridge.connect_async("acme") as connection:
            await connection.create(Contact(display_name="Bo"))
            return [r.display_name async for r in connection.list("contact") if isinstance(r, Contact)]

    assert asyncio.run(run()) == ["Bo"]


def test_an_adapter_only_system_says_what_it_lacks() -> None:
    """register_adapter alone gives get_adapter; connect and make_sandbox raise CapabilityMissing naming it."""
    register_adapter("bare", AcmeAdapter)
    try:
        assert isinstance(get_adapter("bare"), AcmeAdapter)
        with pytest.raises(CapabilityMissing, match="bare has no connection support") as caught:
            crmbridge.connect("bare")
        assert (caught.value.system, caught.value.capability) == ("bare", "backend")
        with pytest.raises(CapabilityMissing, match="no sandbox for system 'bare'"):
            make_sandbox("bare")
    finally:
        unregister_system("bare")


def test_register_adapter_on_a_builtin_keeps_its_backends() -> None:
    """Swapping a built-in's adapter with register_adapter keeps its connection backends and sandbox."""
    register_adapter("activix", AcmeAdapter)
    try:
        system = get_system("activix")
        assert system.adapter is AcmeAdapter
        assert system.backend == BUILTIN_SYSTEMS["activix"].backend
        assert system.sandbox == BUILTIN_SYSTEMS["activix"].sandbox
    finally:
        unregister_system("activix")
    assert get_system("activix") is BUILTIN_SYSTEMS["activix"]


def test_unknown_names_raise_a_typed_value_error_everywhere() -> None:
    """get_adapter and both connects raise UnknownSystem (a ValueError, a CrmBridgeError) naming the known ones."""
    for call in (get_adapter, crmbridge.connect, crmbridge.connect_async):
        with pytest.raises(UnknownSystem, match=r"unknown system 'nope'; known systems: activix, estateprime, rechat"):
            call("nope")
    error = UnknownSystem("nope", ["a"])
    assert isinstance(error, ValueError)
    assert isinstance(error, CrmBridgeError)
    with pytest.raises(CapabilityMissing, match="no sandbox for system 'nope'"):
        make_sandbox("nope")


def test_errors_survive_pickling() -> None:
    """The registry's errors cross process boundaries with their fields."""
    import pickle

    unknown = pickle.loads(pickle.dumps(UnknownSystem("x", ["a", "b"])))
    assert (unknown.system, unknown.known, str(unknown)) == ("x", ["a", "b"], str(UnknownSystem("x", ["a", "b"])))
    missing = pickle.loads(pickle.dumps(CapabilityMissing("x", "backend")))
    assert (missing.system, missing.capability) == ("x", "backend")


def _plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str, body: str, value: str) -> None:
    """Install a plugin module on sys.path and an entry point naming it (as pip would from its metadata)."""
    (tmp_path / f"{module}.py").write_text(textwrap.dedent(body), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(_systems, "_loaded_entry_points", {})
    monkeypatch.setattr(_systems, "_installed", _systems._Installed())
    entry = EntryPoint(name="acme", value=value, group=ENTRY_POINT_GROUP)
    monkeypatch.setattr(_systems, "_entry_points", lambda: {"acme": entry})


PLUGIN = f"""
    import sys
    from crmbridge import System

    here = sys.modules["{__name__}"]
    SYSTEM = System(name="ignored", adapter=here.AcmeAdapter, backend=here.AcmeBackend,
                    async_backend=here.AsyncAcmeBackend)

    def make_system():
        return SYSTEM

    NOT_A_SYSTEM = 42
"""


@pytest.mark.parametrize("value", ["acme_plugin:SYSTEM", "acme_plugin:make_system"])
def test_an_entry_point_plugin_works_with_connect_and_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    """A System (or a callable returning one) under the crmbridge.systems entry point group is found by name."""
    sys.modules.setdefault(__name__, sys.modules[__name__])
    _plugin(tmp_path, monkeypatch, "acme_plugin", PLUGIN, value)
    assert "acme" in crmbridge.available_systems()
    system = get_system("acme")
    assert system.name == "acme"  # the entry point's name wins over the object's
    with crmbridge.connect("acme") as connection:
        assert connection.create(Contact(display_name="Cy")) == Ref("acme", "contact", "1")
    result = CliRunner().invoke(app, ["inspect", "acme", "contact", "1", "--token", "t"])
    assert result.exit_code == 0, result.output
    assert '"display_name": "Cy"' in result.output


def test_an_entry_point_that_is_not_a_system_is_refused_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An entry point whose object is not a System raises a TypeError naming the entry point."""
    sys.modules.setdefault(__name__, sys.modules[__name__])
    _plugin(tmp_path, monkeypatch, "acme_plugin_bad", PLUGIN, "acme_plugin_bad:NOT_A_SYSTEM")
    with pytest.raises(TypeError, match=r"entry point 'acme' of 'crmbridge\.systems'.*not int"):
        get_system("acme")


def test_a_registered_system_wins_over_an_entry_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, acme: System
) -> None:
    """register_system in the process overrides an installed plugin of the same name."""
    _plugin(tmp_path, monkeypatch, "acme_plugin_other", "SYSTEM = None\n", "acme_plugin_other:SYSTEM")
    assert get_system("acme") is ACME


def test_a_system_with_a_sandbox_factory_is_served_by_make_sandbox() -> None:
    """make_sandbox calls the registered sandbox factory with the options it was given."""
    seen: dict[str, Any] = {}

    def factory(**options: Any) -> str:
        seen.update(options)
        return "a sandbox"

    crmbridge.register_system(System(name="sbx", adapter=AcmeAdapter, sandbox=factory))
    try:
        assert make_sandbox("sbx", seed_records=3) == "a sandbox"
        assert seen == {"seed_records": 3}
    finally:
        unregister_system("sbx")


def test_installed_entry_points_are_read_once_and_again_for_an_unknown_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """Known names need no new read of the metadata; an unknown name reads it again (late installs show up)."""
    reads: list[int] = []
    installed: dict[str, EntryPoint] = {}

    def entry_points() -> dict[str, EntryPoint]:
        reads.append(1)
        return dict(installed)

    monkeypatch.setattr(_systems, "_installed", _systems._Installed())
    monkeypatch.setattr(_systems, "_entry_points", entry_points)
    for _ in range(5):
        get_system("activix")
    assert len(reads) == 1
    with pytest.raises(UnknownSystem):
        get_system("late")
    assert len(reads) == 2
    installed["late"] = EntryPoint(name="late", value="crmbridge._systems:BUILTIN_SYSTEMS", group=ENTRY_POINT_GROUP)
    with pytest.raises(TypeError, match="entry point 'late'"):  # found on the next read (a dict is no System)
        get_system("late")
    assert len(reads) == 3
