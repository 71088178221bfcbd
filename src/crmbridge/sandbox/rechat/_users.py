"""Who may call the Rechat sandbox: users with tokens, and the brands (teams) they belong to."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from crmbridge.sandbox import SEED_EPOCH, SeedData

__all__ = ["RechatSandboxUser", "check_users", "default_users", "seeded_uuid", "user_json"]


@dataclass(frozen=True)
class RechatSandboxUser:
    """A sandbox user: the bearer token that authenticates them and their brands (first = default)."""

    id: str
    token: str
    brands: tuple[str, ...]
    first_name: str = "Sandbox"
    last_name: str = "User"
    email: str = "user@example.com"


_NAMESPACE = uuid.UUID("9f1c1f6e-3b0c-4d8e-9a51-6a1f0c2d7e10")


def seeded_uuid(seed: int, *parts: object) -> str:
    """A UUID that depends only on the seed and the parts (the same sandbox gets the same ids)."""
    return str(uuid.uuid5(_NAMESPACE, ":".join(str(p) for p in (seed, *parts))))


def default_users(token: str, seed: int, brand: str | None) -> tuple[RechatSandboxUser, ...]:
    """The users of a sandbox when none are given.

    - the main user (``token``) and a colleague (``<token>-colleague``) in brand A;
    - a user of brand B only (``<token>-other``), to check that brands never see each other;
    - a manager in both brands (``<token>-manager``, default brand B), to check brand switching.
    """
    brand_a = brand or seeded_uuid(seed, "brand", "A")
    brand_b = seeded_uuid(seed, "brand", "B")
    names = SeedData(seed + 7919)
    roles: list[tuple[str, str, tuple[str, ...]]] = [("main", token, (brand_a,))]
    roles.append(("colleague", f"{token}-colleague", (brand_a,)))
    roles += [("other", f"{token}-other", (brand_b,)), ("manager", f"{token}-manager", (brand_b, brand_a))]
    users = []
    for role, user_token, brands in roles:
        first, last = names.first_name(), names.last_name()
        users.append(
            RechatSandboxUser(
                id=seeded_uuid(seed, "user", role),
                token=user_token,
                brands=brands,
                first_name=first,
                last_name=last,
                email=names.email(first, last),
            )
        )
    return tuple(users)


def user_json(user: RechatSandboxUser, brand: str) -> dict[str, Any]:
    """The ``user`` object Rechat embeds when ``crm_task.assignees`` or ``contact.user`` is asked."""
    created = SEED_EPOCH.timestamp()
    return {
        "type": "user",
        "id": user.id,
        "username": None,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "display_name": f"{user.first_name} {user.last_name}",
        "abbreviated_display_name": user.first_name,
        "email": user.email,
        "phone_number": None,
        "created_at": created,
        "updated_at": created,
        "deleted_at": None,
        "user_status": "Active",
        "user_type": "Agent",
        "timezone": "America/Chicago",
        "email_confirmed": True,
        "phone_confirmed": False,
        "brand": None,
        "active_brand": brand,
        "agents": None,
        "features": [],
    }


def check_users(users: Sequence[RechatSandboxUser], token: str) -> tuple[RechatSandboxUser, ...]:
    """``users`` as given, refused when tokens repeat or the main ``token`` has no user.

    A user without brands is allowed: without ``X-RECHAT-BRAND`` their requests answer 400.
    """
    tokens = [u.token for u in users]
    if len(set(tokens)) != len(tokens):
        raise ValueError("every sandbox user needs their own token")
    if token not in tokens:
        raise ValueError("the sandbox token must belong to one of the users")
    return tuple(users)
