"""Benchmark 6, feeds: records/s into DuckDB (dlt) and webhooks/s to a local receiver, against NDJSON.

Each repetition feeds the same N generated EstatePrime contacts (``bench.memory.GeneratedBackend``:
the real adapter translates them, no HTTP) three ways, each with a fresh state store in a
temporary folder, one after the other so drift hits all alike:

- ``ndjson``: :func:`crmbridge.sync.feed` into ``/dev/null`` (the baseline);
- ``duckdb``: :func:`crmbridge.dlt.load` into a new DuckDB file (extract, normalize, load);
- ``webhooks``: :func:`crmbridge.sync.feed_webhooks`, one signed CloudEvent POST per change, to a
  receiver on 127.0.0.1 in a child process of its own (``python -m bench.feeds --receive``) that
  answers 204 and checks nothing, so the figure is the sender's.

The ratios are each transport's records/s over the NDJSON feed's records/s, from the medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench._common import REPO, Row, Settings
from bench.memory import GeneratedBackend

__all__ = ["run"]

NAME = "feeds"
RECORDS = 2_000
QUICK_RECORDS = 40
SECRET = "whsec_YmVuY2gtc2VjcmV0LWJlbmNoLXNlY3JldC0xMjM0"


class _Accept(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["content-length"]))
        self.send_response(204)
        self.end_headers()


def _receive() -> None:
    """Serve the accepting receiver on a free loopback port; prints the port, then serves until killed."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Accept)
    print(server.server_address[1], flush=True)
    server.serve_forever()


@contextmanager
def _receiver() -> Iterator[str]:
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.feeds", "--receive"], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        port = int(child.stdout.readline())
        yield f"http://127.0.0.1:{port}/hooks"
    finally:
        child.terminate()
        child.wait(timeout=10)


def _ndjson(records: int, folder: Path, url: str) -> None:
    from crmbridge import Connection
    from crmbridge.sync import StateStore, feed

    del url
    with open(os.devnull, "w", encoding="utf-8") as sink:
        state = StateStore(folder / "ndjson.db")
        feed(Connection(GeneratedBackend(records, [])), output=sink, state=state, kinds=["contact"])
        state.close()


def _duckdb(records: int, folder: Path, url: str) -> None:
    from crmbridge import Connection
    from crmbridge import dlt as crm_dlt

    del url
    crm_dlt.load(
        Connection(GeneratedBackend(records, [])),
        f"duckdb:///{folder / 'crm.duckdb'}",
        state=folder / "dlt.db",
        kinds=["contact"],
        pipelines_dir=folder / "pipelines",
    )


def _webhooks(records: int, folder: Path, url: str) -> None:
    from crmbridge import Connection
    from crmbridge.sync import StateStore, WebhookSender, feed_webhooks

    state = StateStore(folder / "hooks.db")
    with WebhookSender(url, SECRET) as sender:
        report = feed_webhooks(Connection(GeneratedBackend(records, [])), sender, state=state, kinds=["contact"])
    state.close()
    if report.delivered != records or report.dead:
        raise RuntimeError(f"the receiver did not get every webhook: {report}")


def run(settings: Settings) -> list[Row]:
    """Two rows: DuckDB and webhooks, each as a ratio of records/s to the NDJSON feed's."""
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    records = QUICK_RECORDS if settings.quick else RECORDS
    ways: dict[str, Callable[[int, Path, str], None]] = {"ndjson": _ndjson, "duckdb": _duckdb, "webhooks": _webhooks}
    samples: dict[str, list[float]] = {name: [] for name in ways}
    with _receiver() as url:
        for _ in range(settings.reps):
            for name, way in ways.items():
                with tempfile.TemporaryDirectory() as folder:
                    start = time.perf_counter()
                    way(records, Path(folder), url)
                    samples[name].append(time.perf_counter() - start)
    seconds = {name: statistics.median(values) for name, values in samples.items()}
    per_s = {name: records / value for name, value in seconds.items()}
    raw = {"records": records, "median_s": seconds, "records_per_s": per_s}
    return [
        Row(
            benchmark=NAME,
            case=case,
            ratio=per_s[case] / per_s["ndjson"],
            meaning=f"{what} vs NDJSON records/s",
            detail=f"{per_s[case]:.0f}/s vs {per_s['ndjson']:.0f}/s, {records} records",
            raw=raw,
        )
        for case, what in (("duckdb", "records/s into DuckDB"), ("webhooks", "webhooks/s"))
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.feeds")
    parser.add_argument("--receive", action="store_true", help="serve the accepting receiver (used by the bench)")
    if parser.parse_args().receive:
        _receive()
