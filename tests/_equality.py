"""Equality that also compares types, for tests proving two read paths give the same records."""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel


def typed(value: Any) -> Any:
    """``value`` with the type of every part spelled out: equal only if values *and* types match."""
    if isinstance(value, BaseModel):
        return (type(value).__name__, {name: typed(item) for name, item in value.__dict__.items()})
    if isinstance(value, dict):
        return (type(value).__name__, [(typed(k), typed(v)) for k, v in value.items()])
    if isinstance(value, list | tuple):
        return (type(value).__name__, [typed(v) for v in value])
    if isinstance(value, float) and math.isnan(value):
        return ("float", "nan")
    return (type(value).__name__, repr(value))
