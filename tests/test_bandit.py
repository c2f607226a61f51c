"""bandit finds nothing in the service's code that is not justified where it stands (`# nosec Bxxx: why`)."""
from __future__ import annotations

import json
import subprocess
import sys

from hotline.config import ROOT


def test_bandit_is_clean():
    run = subprocess.run([sys.executable, "-m", "bandit", "-q", "-r", "hotline", "workers", "models", "-f", "json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    findings = json.loads(run.stdout)["results"]
    assert findings == [], [f"{f['filename']}:{f['line_number']} {f['test_id']} {f['issue_text']}" for f in findings]
