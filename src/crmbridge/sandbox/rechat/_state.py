"""The Rechat sandbox's state: the document store, the users, and brand-scoped lookups.

Collections: ``contacts`` (attributes inline), ``tasks`` (reminders and associations inline),
``listings`` (MLS data, shared by every brand), ``attribute_defs`` (custom ones; the global
ones are constants), ``tags`` (the catalogue, keyed ``<brand>:<tag>``), ``jobs`` (imports) and
``files`` (``POST /contacts/upload``, content base64-encoded).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from crmbridge.sandbox import DocumentStore
from crmbridge.sandbox.rechat._contact_model import GLOBAL_DEFS, global_def_by_name
from crmbridge.sandbox.rechat._http import not_found, require_uuid, validation
from crmbridge.sandbox.rechat._users import RechatSandboxUser, user_json

__all__ = ["SandboxState"]

Document = dict[str, Any]


class SandboxState:
    """The store plus who is who; every record lookup here is scoped to one brand."""

    def __init__(self, store: DocumentStore, users: Sequence[RechatSandboxUser]) -> None:
        self.store = store
        self.users = {u.id: u for u in users}
        self.by_token = {u.token: u for u in users}

    # Users -----------------------------------------------------------------------------------

    def member(self, user_id: str, brand: str) -> bool:
        """True when the user belongs to the brand."""
        user = self.users.get(user_id)
        return user is not None and brand in user.brands

    def require_member(self, user_id: Any, brand: str, what: str) -> str:
        """``user_id`` when it names a user of the brand, else 400 ``Validation``."""
        ident = require_uuid(user_id, what)
        if not self.member(ident, brand):
            raise validation(f"{what} {ident} is not a member of the brand")
        return ident

    def user_json(self, user_id: str, brand: str) -> Any:
        """The user object, or the bare id for a user the sandbox does not know."""
        user = self.users.get(user_id)
        return user_json(user, brand) if user is not None else user_id

    # Records ---------------------------------------------------------------------------------

    def scoped(self, collection: str, brand: str) -> list[Document]:
        """The brand's live documents of ``collection``, in insertion order."""
        return [d for d in self.store.scan(collection) if d.get("brand") == brand and d.get("deleted_at") is None]

    def find(self, collection: str, brand: str, ident: str, what: str) -> Document:
        """The brand's live document ``ident``; 404 for a missing, deleted or foreign one."""
        document = self.store.get(collection, ident)
        if document is None or document.get("brand") != brand or document.get("deleted_at") is not None:
            raise not_found(what)
        return document

    def contact(self, brand: str, ident: str) -> Document:
        """A live contact of the brand (404 otherwise)."""
        return self.find("contacts", brand, ident, "Contact")

    def task(self, brand: str, ident: str) -> Document:
        """A task of the brand (404 otherwise)."""
        return self.find("tasks", brand, ident, "Task")

    def listing(self, ident: str) -> Document:
        """The listing, or the stub Rechat would show for an MLS listing the sandbox never loaded."""
        return self.store.get("listings", ident) or {"type": "listing", "id": ident}

    # Attribute definitions -------------------------------------------------------------------

    def attribute_defs(self, brand: str) -> list[Document]:
        """Global definitions, then the brand's custom ones."""
        return [*GLOBAL_DEFS, *self.scoped("attribute_defs", brand)]

    def attribute_def(self, brand: str, raw: dict[str, Any]) -> Document:
        """The definition an AttrInput names by ``attribute_def`` (uuid) or ``attribute_type``."""
        if raw.get("attribute_def") is not None:
            ident = require_uuid(raw["attribute_def"], "attribute_def")
            for definition in self.attribute_defs(brand):
                if definition["id"] == ident:
                    return definition
            raise validation(f"Unknown attribute_def {ident}")
        name = raw.get("attribute_type")
        found = global_def_by_name(name) if isinstance(name, str) else None
        if found is None:
            found = next((d for d in self.scoped("attribute_defs", brand) if d["name"] == name), None)
        if found is None:
            raise validation(f"Unknown attribute_type {name!r}")
        return found
