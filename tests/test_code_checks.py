"""The code's own checks, run with every test run (hence by CI): bandit, ruff, and the import contracts that keep
the layers apart (pyproject.toml, docs/architecture.md)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from casework.config import ROOT

BIN = Path(sys.executable).parent


def run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_bandit_is_clean():
    done = run(sys.executable, "-m", "bandit", "-q", "-r", "hotline", "workers", "casework", "models", "-f", "json")
    findings = json.loads(done.stdout)["results"]
    assert findings == [], [f"{f['filename']}:{f['line_number']} {f['test_id']} {f['issue_text']}" for f in findings]


def test_ruff_is_clean():
    done = run(str(BIN / "ruff"), "check", "--output-format", "concise", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_layers_import_only_downwards():
    done = run(str(BIN / "lint-imports"), "--no-cache")
    assert done.returncode == 0 and "0 broken" in done.stdout, done.stdout + done.stderr


def test_the_workers_and_the_casework_load_without_the_web_framework():
    probe = ("import sys, workers.relay, workers.jobs, workers.__main__, casework.call_log, casework.spool;"
             " loaded = sorted(m for m in ('flask', 'werkzeug', 'wtforms', 'hotline') if m in sys.modules);"
             " assert not loaded, loaded")
    done = run(sys.executable, "-c", probe)
    assert done.returncode == 0, done.stderr
