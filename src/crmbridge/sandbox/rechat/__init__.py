"""The local Rechat emulator: ``make_sandbox()`` and what its tests and the demo reach for.

Imports nothing from :mod:`crmbridge.adapters`: the emulator follows the vendor's documented API,
not the adapter that talks to it.
"""

from crmbridge.sandbox.rechat._app import (
    BASE_URL,
    DEFAULT_TOKEN,
    UNIMPLEMENTED,
    RechatSandbox,
    RechatSandboxUser,
    build_app,
    make_sandbox,
)

__all__ = [
    "BASE_URL",
    "DEFAULT_TOKEN",
    "UNIMPLEMENTED",
    "RechatSandbox",
    "RechatSandboxUser",
    "build_app",
    "make_sandbox",
]
