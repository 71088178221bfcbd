"""The local EstatePrime emulator: ``make_sandbox()`` and what its tests and the demo reach for.

Imports nothing from :mod:`crmbridge.adapters`: the emulator follows the vendor's documented API,
not the adapter that talks to it.
"""

from crmbridge.sandbox.estateprime._app import BASE_URL, DEFAULT_TOKEN, SYSTEM, make_sandbox

__all__ = ["BASE_URL", "DEFAULT_TOKEN", "SYSTEM", "make_sandbox"]
