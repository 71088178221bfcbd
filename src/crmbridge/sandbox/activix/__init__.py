"""The local Activix emulator: ``make_sandbox()`` and what its tests and the demo reach for.

Imports nothing from :mod:`crmbridge.adapters`: the emulator follows the vendor's documented API,
not the adapter that talks to it.
"""

from crmbridge.sandbox.activix._app import BASE_URL, SYSTEM, build_app, make_sandbox

__all__ = ["BASE_URL", "SYSTEM", "build_app", "make_sandbox"]
