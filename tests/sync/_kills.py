"""Running a CLI command in a subprocess and killing it with SIGKILL once it has made some progress."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable


def run_until_killed(command: list[str], env: dict[str, str], progress: Callable[[], int], more: int) -> bool:
    """Start ``command``, SIGKILL it once ``progress()`` grew by ``more``; False if it ended first."""
    target = progress() + more
    with subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as run:
        deadline = time.monotonic() + 60
        while run.poll() is None and progress() < target and time.monotonic() < deadline:
            time.sleep(0.005)
        if run.poll() is not None:
            return False
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=30)
        return True
