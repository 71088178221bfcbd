"""The README runs: every ```python block and every ```bash block, as written, against the sandboxes.

Python blocks run one by one, each in a fresh interpreter, in a scratch folder. Shell blocks run in
order in one bash session (as a reader following the README in one terminal: variables and
background sandboxes carry over), with ``set -e``. Only the first block (the two install lines at
the top) is not run. A block may opt out with a first line ``# readme: not run`` (say why after
it); none does today, and this test fails if more than :data:`MAX_OPT_OUTS` do.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"^```(python|bash)\n(.*?)^```$", re.DOTALL | re.MULTILINE)
OPT_OUT = "# readme: not run"
MAX_OPT_OUTS = 1
INSTALL_LINES = ("pip install -e . && crmbridge demo", 'pip install -e ".[dev]" && python -m pytest')


def _blocks(language: str) -> list[tuple[int, str]]:
    text = README.read_text(encoding="utf-8")
    found = []
    for match in BLOCK.finditer(text):
        if match.group(1) == language:
            found.append((text.count("\n", 0, match.start()) + 1, match.group(2)))
    return found


def _runnable(language: str) -> list[tuple[int, str]]:
    return [(line, code) for line, code in _blocks(language) if not code.startswith(OPT_OUT)]


def test_only_the_install_lines_and_few_blocks_are_left_out() -> None:
    """The first shell block is exactly the two install lines; at most MAX_OPT_OUTS blocks opt out."""
    first = _blocks("bash")[0][1].splitlines()
    assert len(first) == 2
    assert all(line.startswith("pip install -e ") for line in first)
    opted_out = [code for language in ("python", "bash") for _, code in _blocks(language) if code.startswith(OPT_OUT)]
    assert len(opted_out) <= MAX_OPT_OUTS
    assert len(_runnable("python")) >= 5


@pytest.mark.parametrize(
    ("line", "code"), _runnable("python"), ids=lambda value: str(value) if isinstance(value, int) else ""
)
def test_python_block_runs(line: int, code: str, tmp_path: Path) -> None:
    """A README Python block runs as written, alone in a fresh interpreter (in a scratch folder)."""
    # Its own process: a block may register a CRM or start a server, which must not leak into other tests.
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRMBRIDGE_")}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, f"README.md:{line}\n{done.stderr}"


def test_shell_blocks_run_in_one_session(tmp_path: Path) -> None:
    """Every shell block but the install lines runs in order in one bash session: exit 0, no traceback."""
    blocks = _runnable("bash")[1:]
    script = "set -euo pipefail\n" + "\n".join(f"# README.md:{line}\n{code}" for line, code in blocks)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRMBRIDGE_")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["COLUMNS"] = "200"
    with subprocess.Popen(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    ) as shell:
        try:
            output, _ = shell.communicate(timeout=600)
        finally:
            _stop(shell)
    assert shell.returncode == 0, output
    assert "Traceback" not in output, output
    assert (tmp_path / "links.json").exists()
    assert (tmp_path / "changes.ndjson").read_text(encoding="utf-8").strip()


def _stop(shell: subprocess.Popen[str]) -> None:
    """End the session and what it started in the background (the sandboxes), whatever happened."""
    try:
        os.killpg(shell.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
