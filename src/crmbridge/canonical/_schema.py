"""The published JSON Schema of the canonical records (``canonical/*.schema.json``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from crmbridge.canonical._records import RECORD_TYPES

__all__ = ["SCHEMA_BASE_URI", "check_schemas", "render_schemas", "write_schemas"]

SCHEMA_BASE_URI = "https://crmbridge.dev/schema/"


def _schema_of(kind: str) -> dict[str, Any]:
    # Serialization mode: the schema describes the JSON crmbridge emits (the feed), which is
    # also what the models accept back.
    schema = RECORD_TYPES[kind].model_json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{SCHEMA_BASE_URI}{kind}.schema.json",
        **schema,
    }


def render_schemas() -> dict[str, str]:
    """File name -> file text, one JSON Schema per canonical record kind."""
    return {
        f"{kind}.schema.json": json.dumps(_schema_of(kind), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        for kind in sorted(RECORD_TYPES)
    }


def write_schemas(directory: Path) -> list[Path]:
    """Write every schema file into ``directory``; returns the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_schemas().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def check_schemas(directory: Path) -> list[str]:
    """Names of the schema files in ``directory`` that are missing or differ from the code."""
    drifted = []
    for name, text in render_schemas().items():
        path = directory / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            drifted.append(name)
    return drifted
