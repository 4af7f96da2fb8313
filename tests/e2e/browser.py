"""Which Chromium the browser tests and bench/first_sync_browser.py drive, and how.

Debian's Chromium (Playwright downloads no browser here); FIELDBOOK_E2E_CHROMIUM names
another. No sandbox (containers), no GPU, nothing fetched behind the test's back.
"""

import os
from pathlib import Path

CHROMIUM = Path(os.environ.get("FIELDBOOK_E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
