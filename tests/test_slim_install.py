"""The base install is what a library user needs: the emulators' and PostgreSQL's packages are extras."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[1]
SANDBOX_PACKAGES = ("starlette", "uvicorn", "faker", "multipart", "python_multipart", "yaml", "jsonschema")
EXTRA_ONLY = (*SANDBOX_PACKAGES, "psycopg")

# Runs first in the child: makes every extra-only package unimportable, as in a fresh base install.
HIDE_EXTRAS = textwrap.dedent(
    f"""
    import importlib.abc, sys

    class HideExtras(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in {EXTRA_ONLY!r}:
                raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
            return None

    sys.meta_path.insert(0, HideExtras())
    """
)


def _run(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter where the extras are not installed."""
    return subprocess.run(
        [sys.executable, "-c", HIDE_EXTRAS + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_library_translates_and_connects_without_any_extra() -> None:
    """Importing crmbridge, its CLI and every adapter, client and connection needs no extra."""
    result = _run(
        """
        import crmbridge, crmbridge.cli, crmbridge.sync, crmbridge.http
        import crmbridge._cli._migrate, crmbridge._cli._progress, crmbridge._reports  # what migrate shows
        for system in crmbridge.available_systems():
            crmbridge.get_adapter(system)
            crmbridge.connect(system, base_url=f"https://{system}.example", token="t").close()
        loaded = sorted(m for m in sys.modules if m.partition(".")[0] in {extra!r})
        print("loaded:", loaded)
        """.replace("{extra!r}", repr(EXTRA_ONLY))
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "loaded: []"


def test_demo_without_the_sandbox_extra_names_the_extra_in_one_line() -> None:
    """`crmbridge demo` with no sandbox extra exits 2 with one line naming the extra, no traceback."""
    result = _run(
        """
        sys.argv = ["crmbridge", "demo", "--records", "1"]
        from crmbridge.cli import main
        main()
        """
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "pip install 'crmbridge[sandbox]'" in lines[0]


def test_the_base_dependencies_leave_out_the_extras() -> None:
    """pyproject's base dependencies name none of the extras' packages; the dev extra pulls both extras."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    base = " ".join(project["dependencies"]).lower()
    for package in ("starlette", "uvicorn", "faker", "multipart", "psycopg", "pyyaml", "jsonschema"):
        assert package not in base, package
    extras = project["optional-dependencies"]
    assert any("starlette" in spec for spec in extras["sandbox"])
    assert any("psycopg" in spec for spec in extras["postgres"])
    assert "crmbridge[sandbox,postgres]" in extras["dev"]
