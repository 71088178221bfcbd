"""Test-wide settings: hypothesis profiles that never depend on machine speed."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "default")

import stamina  # noqa: E402

# Retries run for real in tests (attempt counts are asserted), but never sleep.
stamina.set_testing(True, attempts=10, cap=True)
