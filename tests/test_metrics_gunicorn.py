"""Under gunicorn with two workers (as the Procfile runs it), /metrics adds up every worker's counters,
whichever worker answers the scrape; gunicorn's temporary metrics directory goes when it stops; and the
workers share the app the master loaded before forking."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from helpers.prism import free_port

from casework.config import ROOT

pytestmark = pytest.mark.slow
TOKEN = "gunicorn-scrape-token"


def get(url: str, token: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # nosec B310: our own test server
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""
    except OSError:
        return 0, ""


def test_two_gunicorn_workers_report_one_sum(sqlite_url, tmp_path):
    port = free_port()
    env = {**os.environ, "HOTLINE_ENV": "development", "DATABASE_URL": sqlite_url, "METRICS_TOKEN": TOKEN,
           "TMPDIR": str(tmp_path)}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.pop("REDIS_URL", None)
    log = (tmp_path / "gunicorn.log").open("wb")
    web = subprocess.Popen([sys.executable, "-m", "gunicorn", "wsgi:app", "--bind", f"127.0.0.1:{port}", "--workers", "2",
                            "--graceful-timeout", "20", "--no-control-socket"], cwd=ROOT, env=env, stdout=log,
                           stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while get(f"{base}/healthz")[0] != 200:
            assert time.monotonic() < deadline and web.poll() is None, (tmp_path / "gunicorn.log").read_text()
            time.sleep(0.2)
        for _ in range(30):
            assert get(f"{base}/healthz")[0] == 200
        # The master loaded the app before it forked (preload_app): most of each worker's memory is the master's.
        # gunicorn forks its workers up to 0.1 s apart: the first may have answered all of the above alone.
        children = Path(f"/proc/{web.pid}/task/{web.pid}/children")
        while len(children.read_text().split()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        workers = [int(pid) for pid in children.read_text().split()]
        assert len(workers) == 2
        for pid in workers:
            memory = {line.split(":")[0]: int(line.split()[1]) for line in
                      Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]}
            shared = memory["Shared_Clean"] + memory["Shared_Dirty"]
            assert shared > 0.6 * memory["Rss"], memory
        totals = set()
        for _ in range(6):  # whichever worker answers, the sum is the same
            status, text = get(f"{base}/metrics", TOKEN)
            assert status == 200
            found = re.search(r'hotline_http_requests_total\{method="GET",route="/healthz",status="200"\} (\S+)', text)
            totals.add(float(found.group(1)))
        assert len(totals) == 1 and totals.pop() >= 31
        assert list(Path(tmp_path).glob("hotline-metrics-*/counter_*.db"))
    finally:
        web.send_signal(signal.SIGTERM)
        web.wait(timeout=60)
    assert not list(Path(tmp_path).glob("hotline-metrics-*"))
