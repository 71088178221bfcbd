"""Migrations between any two sandboxes, and the checks of exactly once over what landed.

A *direction* names a source CRM, a target CRM, the kinds moved and the conversions asked for.
:func:`expected_copies` runs the same migration without any fault into fresh sandboxes: what
lands there is what the target can store of each source record, and the faulty run must have
landed exactly that, once per source record.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import crmbridge
from crmbridge import Connection, Record, Ref
from crmbridge.sandbox import FaultConfig, Sandbox, make_sandbox
from crmbridge.sync import StateStore, migrate

__all__ = [
    "DIRECTIONS",
    "Direction",
    "Landed",
    "check_exactly_once",
    "cli_env",
    "cli_migrate",
    "connect",
    "expected_copies",
    "landed",
    "linked_count",
    "links_for",
    "seeded_source",
    "without_faults",
]


@dataclass(frozen=True)
class Direction:
    """What one migration moves: ``kinds`` of ``source`` into ``target`` (with ``conversions``)."""

    source: str
    target: str
    kinds: tuple[str, ...]
    conversions: tuple[tuple[str, str], ...] = ()

    @property
    def name(self) -> str:
        converted = "".join(f"+{a}->{b}" for a, b in self.conversions)
        return f"{self.source}->{self.target}{converted}"

    @property
    def target_kinds(self) -> tuple[str, ...]:
        into = dict(self.conversions)
        return tuple(into.get(kind, kind) for kind in self.kinds)


DIRECTIONS: tuple[Direction, ...] = (
    Direction("estateprime", "activix", ("contact", "activity")),
    Direction("activix", "estateprime", ("contact", "activity")),
    Direction("estateprime", "rechat", ("contact",)),
    Direction("rechat", "estateprime", ("contact",)),
    Direction("rechat", "activix", ("contact",)),
    Direction("activix", "rechat", ("contact",)),
    Direction("estateprime", "rechat", ("contact", "event"), (("event", "task"),)),
)
"""The six pairs of CRMs both ways, and the one conversion (EstatePrime events into Rechat tasks)."""

OPTIONS: dict[str, dict[str, Any]] = {
    "activix": {"default_lead_type": "web_order", "default_region": "US", "rate_limit": None},
    "estateprime": {"default_office": 2},
    "rechat": {},
}
"""Target options: where a CRM requires a value the source may not have."""

SOURCE_OPTIONS: dict[str, dict[str, Any]] = {"activix": {"page_size": 2}, "estateprime": {}, "rechat": {"page_size": 2}}
"""Source options: small pages, so that reads are many requests (and meet every fault kind)."""

SEED: dict[str, int] = {"estateprime": 30, "activix": 40, "rechat": 60}
"""Seeded records per source CRM: 40 to 80 records per direction (EstatePrime and Activix
seed a communication per contact; Rechat seeds contacts and tasks, and moves only contacts)."""


def seeded_source(system: str, seed: int, faults: FaultConfig | None = None, **options: Any) -> Sandbox:
    """A source sandbox seeded with :data:`SEED` records of ``system``."""
    return make_sandbox(system, seed_records=SEED[system], seed=seed, faults=faults, **options)


def _default_user(target: Sandbox) -> Ref:
    if target.system == "rechat":
        return Ref("rechat", "user", target.user(target.token).id)  # type: ignore[attr-defined]
    return Ref(target.system, "user", "2" if target.system == "estateprime" else "1")


def _refs_in(value: Any) -> Iterator[Ref]:
    if isinstance(value, Ref):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _refs_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _refs_in(item)
    elif isinstance(value, Record):
        for name in type(value).model_fields:
            if name != "ref":
                yield from _refs_in(getattr(value, name))


def links_for(records: list[Record], target: Sandbox) -> dict[Ref, Ref]:
    """Fixed counterparts of the users and offices the source records refer to: the target's default user."""
    user = _default_user(target)
    office = Ref(target.system, "office", "2")
    found = {ref for record in records for ref in _refs_in(record) if ref.kind in ("user", "office")}
    return {ref: user if ref.kind == "user" or target.system != "estateprime" else office for ref in found}


def connect(sandbox: Sandbox, *, target: bool = False) -> Connection:
    """A connection to ``sandbox`` (with the options a target needs)."""
    options = OPTIONS[sandbox.system] if target else SOURCE_OPTIONS[sandbox.system]
    if target and sandbox.system == "rechat":
        options = {"default_owner": _default_user(sandbox).id}
    if sandbox.system == "activix":
        options = {**options, "rate_limit": None}
    return crmbridge.connect(sandbox.system, **sandbox.client_options(), **options)


@contextmanager
def without_faults(*sandboxes: Sandbox) -> Iterator[None]:
    """The sandboxes' faults switched off for a while (to read what landed)."""
    saved = [(box, box.faults.config) for box in sandboxes if box.faults is not None]
    for box, _ in saved:
        assert box.faults is not None
        box.faults.config = FaultConfig()
    try:
        yield
    finally:
        for box, config in saved:
            assert box.faults is not None
            box.faults.config = config


@dataclass
class Landed:
    """What a migration left: the source records, the target records, the crosswalk between them."""

    sources: dict[Ref, Record]
    targets: dict[Ref, Record]
    crosswalk: dict[Ref, Ref]
    pending: int
    injected: Counter[str] = field(default_factory=Counter)


def _by_ref(records: list[Record]) -> dict[Ref, Record]:
    refs = [record.ref for record in records]
    assert len(set(refs)) == len(refs), "no record is listed twice"
    return {record.ref: record for record in records if record.ref is not None}


def landed(direction: Direction, source: Sandbox, target: Sandbox, state: str | Path) -> Landed:
    """Read (faults off) every source record moved, every target record, and the crosswalk."""
    with without_faults(source, target), connect(source) as src, connect(target, target=True) as dst:
        sources = _by_ref([r for kind in direction.kinds for r in src.list(kind)])
        targets = _by_ref([r for kind in set(direction.target_kinds) for r in dst.list(kind)])
    store = StateStore(state)
    try:
        crosswalk = {s: t for s, t in store.links(target.system) if s.system == source.system}
        pending = len(store.pending_intents(target.system))
    finally:
        store.close()
    return Landed(sources, targets, crosswalk, pending)


def _comparable(record: Record, inverse: Mapping[Ref, Ref]) -> dict[str, Any]:
    """A target record's content with target refs replaced by their source refs (ids differ between runs)."""

    def swap(value: Any) -> Any:
        if isinstance(value, dict) and set(value) == {"system", "kind", "id"}:
            ref = Ref(value["system"], value["kind"], value["id"])
            return str(inverse.get(ref, ref))
        if isinstance(value, dict):  # nested extras hold the target's own ids and times
            return {key: swap(item) for key, item in value.items() if key != "extras"}
        if isinstance(value, list):
            return [swap(item) for item in value]
        return value

    content = record.model_dump(mode="json", exclude={"ref", "created_at", "updated_at", "extras"})
    return dict(swap(content))


def expected_copies(direction: Direction, seed: int, target_options: Mapping[str, Any] | None = None) -> Landed:
    """The same migration without faults, into a fresh target: what the target can store of each record."""
    source = seeded_source(direction.source, seed)
    target = make_sandbox(direction.target, **(target_options or {}))
    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        state = Path(folder) / "clean.db"
        src = stack.enter_context(connect(source))
        dst = stack.enter_context(connect(target, target=True))
        links = links_for([r for kind in direction.kinds for r in src.list(kind)], target)
        report = migrate(
            source=src,
            target=dst,
            kinds=list(direction.kinds),
            state=state,
            links=links,
            conversions=dict(direction.conversions),
        )
        assert not report.failures or all("requires a value" in f["reason"] for f in report.failures), report.failures
        return landed(direction, source, target, state)


def check_exactly_once(got: Landed, clean: Landed) -> dict[str, int]:
    """Assert 0 lost, 0 duplicated, every copy equal to the fault-free copy; the counts found."""
    inverse = {t: s for s, t in got.crosswalk.items()}
    clean_inverse = {t: s for s, t in clean.crosswalk.items()}
    assert got.pending == 0, "no create is left unconfirmed"
    lost = set(clean.crosswalk) - set(got.crosswalk)
    assert not lost, f"{len(lost)} source records never landed: {sorted(map(str, lost))[:5]}"
    assert set(got.crosswalk) == set(clean.crosswalk), "the same source records moved as without faults"
    assert len(set(got.crosswalk.values())) == len(got.crosswalk), "no two source records share a copy"
    duplicated = set(got.targets) - set(got.crosswalk.values())
    assert not duplicated, f"{len(duplicated)} target records are copies of nothing linked (duplicates)"
    assert set(got.crosswalk.values()) == set(got.targets), "the target holds the linked copies and nothing else"
    differ = {
        str(source): ref
        for source, ref in got.crosswalk.items()
        if _comparable(got.targets[ref], inverse) != _comparable(clean.targets[clean.crosswalk[source]], clean_inverse)
    }
    assert not differ, f"{len(differ)} copies differ from their source: {sorted(differ)[:5]}"
    return {"records": len(got.crosswalk), "duplicated": len(duplicated), "lost": len(lost)}


# -- the same migrations through the CLI, against sandboxes served over loopback -------------------


def _served_base(sandbox: Sandbox, url: str) -> str:
    """The base URL of ``sandbox`` served at ``url`` (its API's path kept: Activix's ``/v2``)."""
    return url + urlsplit(sandbox.base_url).path.rstrip("/")


def cli_env(source: Sandbox, source_url: str, target: Sandbox, target_url: str) -> dict[str, str]:
    """The environment of a CLI run between ``source`` and ``target`` served at those URLs."""
    env = {**os.environ}
    for box, url in ((source, source_url), (target, target_url)):
        env[f"CRMBRIDGE_{box.system.upper()}_TOKEN"] = box.token
        env[f"CRMBRIDGE_{box.system.upper()}_BASE_URL"] = _served_base(box, url)
    return env


def cli_migrate(direction: Direction, state: Path | str, links: Mapping[Ref, Ref], target: Sandbox) -> list[str]:
    """``crmbridge migrate`` for ``direction`` (``target``: a sandbox like the served one, for its options)."""
    options = {**OPTIONS[target.system], **target.extra_client_options}
    if target.system == "rechat":
        options["default_owner"] = _default_user(target).id
    return [
        sys.executable,
        "-m",
        "crmbridge.cli",
        "migrate",
        "--from",
        direction.source,
        "--to",
        direction.target,
        "--kinds",
        ",".join(direction.kinds),
        "--state",
        str(state),
        *(f"--link={a}={b}" for a, b in links.items()),
        *(f"--to-option={k}={json.dumps(v) if not isinstance(v, str) else v}" for k, v in options.items()),
        *(f"--convert={a}={b}" for a, b in direction.conversions),
    ]


def linked_count(state: Path) -> int:
    """How many records a migration has linked so far (read while it runs: the store is in WAL mode)."""
    if not state.exists():
        return 0
    try:
        with closing(sqlite3.connect(f"file:{state}?mode=ro", uri=True, timeout=5)) as db:
            return int(db.execute("SELECT COUNT(*) FROM crosswalk").fetchone()[0])
    except sqlite3.OperationalError:
        return 0  # the tables are not created yet
