"""Shared by the browser tests and their fixtures: Chromium's path and flags, where screenshots go."""
from __future__ import annotations

import os
from pathlib import Path

from casework.config import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                 "--no-first-run", "--disable-component-update", "--disable-sync"]
ARTIFACTS: Path = ROOT / "test-artifacts" / "browser"
SCREENSHOTS: Path = ROOT / "test-artifacts" / "screenshots"  # every console page at each width (test_layout_browser)
REQUIRE = os.environ.get("HOTLINE_REQUIRE_SERVICES") == "1"
TIMEOUT_MS = 15_000  # every wait in a browser test is bounded; the machine is shared, so be generous


def shoot(page, name: str) -> None:
    """A screenshot of a step in the middle of a test."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
