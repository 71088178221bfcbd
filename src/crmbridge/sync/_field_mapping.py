"""Field mapping files: which source field fills which target field, checked before any write.

A mapping file is TOML, one ``[[field]]`` table per line of the mapping::

    auto = true               # also map same-named custom fields of compatible types (default)
    create_missing = false    # true: define the target fields the source has and no line names (Rechat)

    [[field]]
    kind = "contact"           # the canonical kind (default "contact")
    from = "Available Budget"  # a source custom field by name; or from_id = 4; or from_field = "job_title"
    to = "budget"              # a target custom field by name; or to_id = "12"; or to_field = "job_title"
    accept_loss = false        # true: a lossy conversion (multi-select into one option) is not reported
    unknown_option = "fail"    # or "keep": an option the target lacks is written by its name

``from_field`` / ``to_field`` name a standard canonical field (``job_title``, ``birthday``, ...)
so that data one CRM keeps in a standard field and the other only in a custom field can move.
The file is checked against the live custom field definitions of both ends (:meth:`resolve`)
before any record moves: a field that does not exist, or types that cannot convert, fail with a
:class:`~crmbridge.errors.FieldMappingError` naming the file and the line of its ``[[field]]``.

Applying a resolved mapping to a record (:meth:`ResolvedFieldMapping.apply`) converts each mapped
value with :func:`crmbridge.canonical._field_convert.convert_custom_value`, puts it where the
target keeps it, and takes the source values it moved off the record, so the target's loss
report names only what no line carries. Custom fields no line names are left as they are (and
reported as dropped by a target that cannot keep them).
"""

from __future__ import annotations

import re
import tomllib
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime

from crmbridge.canonical import RECORD_TYPES, CustomFieldValue, Record, Ref
from crmbridge.canonical._field_convert import (
    CustomFieldDef,
    CustomValueConversionError,
    UnknownOption,
    can_convert,
    convert_custom_value,
)
from crmbridge.errors import FieldMappingError, MappingError

__all__ = [
    "FieldEnd",
    "FieldMapping",
    "LineStats",
    "MappingLine",
    "ResolvedFieldMapping",
    "ResolvedLine",
    "load_field_mapping",
    "parse_field_mapping",
    "standard_field_types",
    "suggest_field_mapping",
]

Side = Literal["from", "to"]
_KEYS = frozenset({"kind", "from", "from_id", "from_field", "to", "to_id", "to_field", "accept_loss", "unknown_option"})
_TOP_KEYS = frozenset({"auto", "create_missing", "field"})


@dataclass(frozen=True)
class FieldEnd:
    """One side of a mapping line: a custom field by ``name`` or ``id``, or a standard ``field``."""

    name: str | None = None
    id: str | None = None
    standard: str | None = None

    def describe(self) -> str:
        """How the file names it, for messages."""
        if self.standard is not None:
            return f"standard field {self.standard!r}"
        if self.id is not None:
            return f"custom field id {self.id}"
        return f"custom field {self.name!r}"


@dataclass(frozen=True)
class MappingLine:
    """One ``[[field]]`` of a mapping file, as written (not yet checked against the CRMs)."""

    number: int
    """The file's line of this table's ``[[field]]`` header (1-based); 0 for a suggested line."""
    kind: str
    source: FieldEnd
    target: FieldEnd
    accept_loss: bool = False
    unknown_option: UnknownOption = "fail"


@dataclass(frozen=True)
class FieldMapping:
    """A parsed mapping file: its lines and whether same-named fields are mapped too."""

    lines: tuple[MappingLine, ...]
    auto: bool = True
    path: str = "<mapping>"
    create_missing: bool = False

    def error(self, line: MappingLine | int, message: str) -> FieldMappingError:
        """A :class:`FieldMappingError` naming this file and ``line``."""
        number = line.number if isinstance(line, MappingLine) else line
        return FieldMappingError(self.path, number, message)

    def resolve(
        self,
        *,
        source_system: str,
        target_system: str,
        source_defs: Mapping[str, Sequence[CustomFieldDef]],
        target_defs: Mapping[str, Sequence[CustomFieldDef]],
    ) -> ResolvedFieldMapping:
        """Check every line against both ends' definitions (by canonical kind) and resolve it.

        Raises :class:`FieldMappingError` for the first line naming a field that does not exist
        or types that cannot convert. With ``auto``, custom fields no line names that have a
        same-named target field of a convertible type are mapped too.
        """
        resolved: list[ResolvedLine] = []
        for line in self.lines:
            source = self._end(line, "from", line.source, source_defs.get(line.kind, ()), source_system)
            target = self._end(line, "to", line.target, target_defs.get(line.kind, ()), target_system)
            if not can_convert(source.type, target.type):
                raise self.error(
                    line,
                    f"{line.source.describe()} ({source.type}) cannot fill {line.target.describe()} ({target.type})",
                )
            resolved.append(ResolvedLine(line, source, target))
        if self.auto or self.create_missing:  # fields create_missing defined are found by their name
            resolved.extend(_same_named(resolved, source_defs, target_defs))
        return ResolvedFieldMapping(tuple(resolved), source_system, target_system)

    def unmapped_sources(
        self,
        source_defs: Mapping[str, Sequence[CustomFieldDef]],
        target_defs: Mapping[str, Sequence[CustomFieldDef]],
    ) -> list[tuple[str, CustomFieldDef]]:
        """``(kind, definition)`` of source custom fields no line names and no target field shares a name with.

        What ``create_missing`` defines in the target before the run.
        """
        named = {(line.kind, line.source.name) for line in self.lines if line.source.name is not None}
        named_ids = {(line.kind, line.source.id) for line in self.lines if line.source.id is not None}
        missing: list[tuple[str, CustomFieldDef]] = []
        for kind, defs in source_defs.items():
            there = {d.name.casefold() for d in target_defs.get(kind, ())}
            for definition in defs:
                if (kind, definition.name) in named or (kind, definition.ref.id) in named_ids:
                    continue
                if definition.name.casefold() not in there:
                    missing.append((kind, definition))
        return missing

    def _end(
        self, line: MappingLine, side: Side, end: FieldEnd, defs: Sequence[CustomFieldDef], system: str
    ) -> CustomFieldDef:
        if line.kind not in RECORD_TYPES:
            raise self.error(line, f"unknown kind {line.kind!r}; kinds: {', '.join(sorted(RECORD_TYPES))}")
        if end.standard is not None:
            types_ = standard_field_types(line.kind)
            if end.standard not in types_:
                known = ", ".join(sorted(types_))
                raise self.error(line, f"{side}_field {end.standard!r} is not a standard {line.kind} field ({known})")
            return CustomFieldDef(ref=Ref(system, "field", end.standard), name=end.standard, type=types_[end.standard])  # type: ignore[arg-type]
        for definition in defs:
            if (end.id is not None and definition.ref.id == end.id) or (
                end.name is not None and definition.name == end.name
            ):
                return definition
        if end.name is not None:
            folded = [d for d in defs if d.name.casefold() == end.name.casefold()]
            if len(folded) == 1:
                return folded[0]
        names = ", ".join(repr(d.name) for d in defs) or "none"
        raise self.error(line, f"{system} has no {line.kind} {end.describe()} (its {line.kind} custom fields: {names})")


@dataclass(frozen=True)
class ResolvedLine:
    """A mapping line checked against both CRMs: the source and target field definitions."""

    line: MappingLine
    source: CustomFieldDef
    target: CustomFieldDef
    auto: bool = False

    @property
    def label(self) -> str:
        """``"Available Budget -> budget"``: how reports name this line."""
        return f"{self.source.name} -> {self.target.name}"


@dataclass
class LineStats:
    """What one mapping line did in a run (or would do, in a dry run)."""

    moved: int = 0
    failed: int = 0
    lossy: int = 0


def _is_standard(definition: CustomFieldDef) -> bool:
    return definition.ref.kind == "field"


@dataclass
class ResolvedFieldMapping:
    """A mapping checked against both ends, ready to apply to records."""

    lines: tuple[ResolvedLine, ...]
    source_system: str
    target_system: str
    stats: dict[str, LineStats] = field(default_factory=dict)

    def for_kind(self, kind: str) -> list[ResolvedLine]:
        """The lines of ``kind``."""
        return [line for line in self.lines if line.line.kind == kind]

    def apply(
        self,
        record: Record,
        *,
        zone: ZoneInfo | None = None,
        resolve: Callable[[Ref], Ref | None] | None = None,
    ) -> tuple[Record, list[str]]:
        """``record`` with every mapped value moved where the target keeps it, and the losses.

        The losses are the paths (``custom_fields[2].value.currency``) of what a conversion lost
        and the line did not accept. A value that cannot be converted raises :class:`MappingError` naming the target
        system, the kind and the source field's path (the record fails; the batch goes on).
        """
        lines = self.for_kind(record.KIND)
        if not lines:
            return record, []
        customs: list[CustomFieldValue] = list(getattr(record, "custom_fields", []))
        taken: set[int] = set()
        moved: list[CustomFieldValue] = []
        standard: dict[str, Any] = {}
        losses: list[str] = []
        for line in lines:
            found = self._source_value(record, customs, line)
            if found is None:
                continue
            index, path, value, value_type = found
            stats = self.stats.setdefault(line.label, LineStats())
            try:
                converted = convert_custom_value(
                    value,
                    value_type,
                    line.target,
                    zone=zone,
                    resolve=resolve,
                    unknown_option=line.line.unknown_option,
                )
            except CustomValueConversionError as error:
                stats.failed += 1
                raise MappingError(self.target_system, record.KIND, path, f"{line.label}: {error}") from None
            stats.moved += 1
            if converted.loss is not None:
                stats.lossy += 1
                if not line.line.accept_loss:
                    losses.append(f"{path}.{converted.lost_part}")
            if index is not None:
                taken.add(index)
            if _is_standard(line.target):
                standard[line.target.name] = converted.value
            else:
                moved.append(
                    CustomFieldValue(
                        field=line.target.ref, name=line.target.name, type=line.target.type, value=converted.value
                    )
                )
        update: dict[str, Any] = dict(standard)
        if hasattr(record, "custom_fields"):
            update["custom_fields"] = [c for i, c in enumerate(customs) if i not in taken] + moved
        return record.model_copy(update=update), losses

    def _source_value(
        self, record: Record, customs: list[CustomFieldValue], line: ResolvedLine
    ) -> tuple[int | None, str, Any, str] | None:
        """Where the line's source value is, the value and its type (the value's own when it says)."""
        if _is_standard(line.source):
            value = getattr(record, line.source.name, None)
            return None if value is None else (None, line.source.name, value, line.source.type)
        for index, custom in enumerate(customs):
            if custom.field == line.source.ref and custom.value is not None:
                # A CRM may read a value as a plainer type than its definition (a Rechat select as text).
                return index, f"custom_fields[{index}]", custom.value, custom.type or line.source.type
        return None


def _same_named(
    explicit: list[ResolvedLine],
    source_defs: Mapping[str, Sequence[CustomFieldDef]],
    target_defs: Mapping[str, Sequence[CustomFieldDef]],
) -> list[ResolvedLine]:
    used_sources = {line.source.ref for line in explicit}
    used_targets = {line.target.ref for line in explicit}
    found: list[ResolvedLine] = []
    for kind, defs in source_defs.items():
        targets = {d.name.casefold(): d for d in target_defs.get(kind, ()) if d.ref not in used_targets}
        for definition in defs:
            target = targets.get(definition.name.casefold())
            if definition.ref in used_sources or target is None or not can_convert(definition.type, target.type):
                continue
            line = MappingLine(0, kind, FieldEnd(name=definition.name), FieldEnd(name=target.name))
            found.append(ResolvedLine(line, definition, target, auto=True))
    return found


# -- reading the file -------------------------------------------------------------------------

_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*field[ \t]*\]\]", re.MULTILINE)


def _header_lines(text: str) -> list[int]:
    """The 1-based line numbers of the ``[[field]]`` headers, in order."""
    return [text.count("\n", 0, match.start()) + 1 for match in _HEADER.finditer(text)]


def _error_line(message: str, text: str) -> int:
    # tomllib says where in its message only ("at line 2, column 10" / "at end of document").
    found = re.search(r"at line (\d+)", message)
    if found:
        return int(found.group(1))
    return text.count("\n") + (0 if text.endswith("\n") else 1) if "end of document" in message else 0


def load_field_mapping(path: str | Path) -> FieldMapping:
    """Read and check the shape of a mapping file (not yet its fields: see :meth:`FieldMapping.resolve`)."""
    where = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise FieldMappingError(where, 0, f"cannot read the mapping file: {error.__class__.__name__}") from None
    return parse_field_mapping(text, path=where)


def parse_field_mapping(text: str, *, path: str = "<mapping>") -> FieldMapping:
    """A :class:`FieldMapping` from the TOML ``text``; :class:`FieldMappingError` naming the line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise FieldMappingError(path, _error_line(str(error), text), f"not valid TOML: {error}") from None
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        expected = "auto, create_missing, [[field]]"
        raise FieldMappingError(path, 0, f"unknown top-level key(s) {', '.join(unknown)}; expected {expected}")
    auto, create_missing = data.get("auto", True), data.get("create_missing", False)
    for key, flag in (("auto", auto), ("create_missing", create_missing)):
        if not isinstance(flag, bool):
            raise FieldMappingError(path, 0, f"{key} must be true or false")
    tables = data.get("field", [])
    if not isinstance(tables, list):
        raise FieldMappingError(path, 0, "field must be an array of tables ([[field]])")
    numbers = _header_lines(text)
    lines = [_line(table, numbers[i] if i < len(numbers) else 0, path) for i, table in enumerate(tables)]
    return FieldMapping(tuple(lines), auto=auto, path=path, create_missing=create_missing)


def _line(table: Any, number: int, path: str) -> MappingLine:
    if not isinstance(table, dict):
        raise FieldMappingError(path, number, "each [[field]] must be a table")
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise FieldMappingError(
            path, number, f"unknown key(s) {', '.join(unknown)}; expected {', '.join(sorted(_KEYS))}"
        )
    kind = table.get("kind", "contact")
    if not isinstance(kind, str):
        raise FieldMappingError(path, number, "kind must be a string")
    accept_loss = table.get("accept_loss", False)
    if not isinstance(accept_loss, bool):
        raise FieldMappingError(path, number, "accept_loss must be true or false")
    unknown_option = table.get("unknown_option", "fail")
    if unknown_option not in ("fail", "keep"):
        raise FieldMappingError(path, number, 'unknown_option must be "fail" or "keep"')
    return MappingLine(
        number=number,
        kind=kind,
        source=_end(table, "from", number, path),
        target=_end(table, "to", number, path),
        accept_loss=accept_loss,
        unknown_option=unknown_option,
    )


def _end(table: dict[str, Any], side: Side, number: int, path: str) -> FieldEnd:
    given = {key: table[key] for key in (side, f"{side}_id", f"{side}_field") if key in table}
    if len(given) != 1:
        raise FieldMappingError(
            path, number, f"give exactly one of {side}, {side}_id, {side}_field (got {', '.join(given) or 'none'})"
        )
    key, value = next(iter(given.items()))
    if key.endswith("_id"):
        if isinstance(value, bool) or not isinstance(value, int | str) or str(value).strip() == "":
            raise FieldMappingError(path, number, f"{key} must be an id (a number or a string)")
        return FieldEnd(id=str(value))
    if not isinstance(value, str) or not value.strip():
        raise FieldMappingError(path, number, f"{key} must be a non-empty string")
    return FieldEnd(standard=value) if key.endswith("_field") else FieldEnd(name=value)


# -- standard fields --------------------------------------------------------------------------

_SCALAR_TYPES: dict[type, str] = {
    str: "text",
    date: "date",
    datetime: "datetime",
    AwareDatetime: "datetime",
    bool: "checkbox",
}


def _scalar_type(annotation: Any) -> str | None:
    options = get_args(annotation) if get_origin(annotation) in (Union, types.UnionType) else (annotation,)
    kinds = [option for option in options if option is not type(None)]
    if len(kinds) != 1:
        return None
    # Annotated[...] (UtcDateTime) keeps its base type as the first argument; list[...], dict[...] are no scalars.
    base = get_args(kinds[0])[0] if get_origin(kinds[0]) is Annotated else kinds[0]
    return _SCALAR_TYPES.get(base) if isinstance(base, type) and get_origin(base) is None else None


def standard_field_types(kind: str) -> dict[str, str]:
    """The standard canonical fields of ``kind`` a mapping line can name, with their custom field type.

    Only single-valued text, date, datetime and boolean fields (lists and nested values are the
    adapters' business); ``ref`` and bookkeeping times are left out.
    """
    model = RECORD_TYPES[kind]
    found: dict[str, str] = {}
    for name, info in model.model_fields.items():
        if name in ("ref", "created_at", "updated_at", "deleted_at"):
            continue
        scalar = _scalar_type(info.annotation)
        if scalar is not None:
            found[name] = scalar
    return found


# -- suggestions ------------------------------------------------------------------------------


def _confidence(source: CustomFieldDef, target: CustomFieldDef) -> tuple[str, int]:
    if source.name == target.name and source.type == target.type:
        return "high: same name and type", 3
    if source.name.casefold() == target.name.casefold():
        return "high: same name", 3
    a, b = _words(source.name), _words(target.name)
    overlap = len(a & b) / max(len(a | b), 1)
    if overlap >= 0.5:
        return f"medium: names share {sorted(a & b)}", 2
    if overlap > 0:
        return f"low: names share {sorted(a & b)}", 1
    return "", 0


def _words(name: str) -> set[str]:
    return {word for word in re.findall(r"[a-z0-9]+", name.casefold()) if len(word) > 1}


def _toml_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def suggest_field_mapping(
    source_system: str,
    target_system: str,
    source_defs: Mapping[str, Sequence[CustomFieldDef]],
    target_defs: Mapping[str, Sequence[CustomFieldDef]],
) -> str:
    """A starter mapping file: each source custom field paired with its likeliest target field.

    Pairs are made by name (exact, ignoring case, then shared words) among convertible types,
    best first, each target used once; each line carries its confidence as a comment. Source
    fields with no candidate are listed as comments, for a person to complete.
    """
    out = [
        f"# crmbridge field mapping: {source_system} -> {target_system} (suggested; review before use)",
        "auto = true",
        "",
    ]
    for kind in sorted(source_defs):
        targets = list(target_defs.get(kind, ()))
        candidates: list[tuple[int, CustomFieldDef, CustomFieldDef, str]] = []
        for source in source_defs[kind]:
            for target in targets:
                reason, score = _confidence(source, target)
                if score and can_convert(source.type, target.type):
                    candidates.append((score, source, target, reason))
        candidates.sort(key=lambda c: -c[0])
        paired_sources: set[Ref] = set()
        paired_targets: set[Ref] = set()
        for _score, source, target, reason in candidates:
            if source.ref in paired_sources or target.ref in paired_targets:
                continue
            paired_sources.add(source.ref)
            paired_targets.add(target.ref)
            out += [
                f"# confidence {reason}; {source.type} -> {target.type}",
                "[[field]]",
                f"kind = {_toml_string(kind)}",
                f"from = {_toml_string(source.name)}",
                f"to = {_toml_string(target.name)}",
                "",
            ]
        for source in source_defs[kind]:
            if source.ref not in paired_sources:
                out.append(f"# no match for {kind} custom field {source.name!r} ({source.type}): add a [[field]]")
    return "\n".join(out).rstrip() + "\n"
