"""First-load JavaScript of the web client's two pages, gzipped, from the build output.

Reads webclient/dist/.vite/manifest.json (`npm run build` writes it): a page's first
load is its entry script and every chunk it imports statically, transitively; chunks
behind a dynamic import() (lazy screens, ECharts) come later and are listed apart.
Fails (exit 1) when the phone's first load passes its budget of 100 KB (README,
"Size budget"); the console's is reported, not budgeted.

    cd webclient && npm run build && cd .. && .venv/bin/python bench/bundle_size.py
"""

import gzip
import json
import sys
from pathlib import Path

DIST = Path(__file__).resolve().parents[1] / "webclient" / "dist"
PHONE_BUDGET = 100 * 1024


def gz(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=9))


def first_load(manifest: dict, entry: str) -> list[str]:
    """The manifest keys of `entry` and of everything it imports statically."""
    seen: list[str] = []
    todo = [entry]
    while todo:
        key = todo.pop()
        if key in seen:
            continue
        seen.append(key)
        todo.extend(manifest[key].get("imports", []))
    return seen


def report(manifest: dict, entry: str, title: str) -> int:
    keys = first_load(manifest, entry)
    total = 0
    print(f"{title} ({entry}): first load")
    for key in keys:
        size = gz(DIST / manifest[key]["file"])
        total += size
        print(f"  {manifest[key]['file']:<52} {size / 1024:7.1f} KB")
    print(f"  {'total':<52} {total / 1024:7.1f} KB gzip")
    later = sorted({d for key in keys for d in manifest[key].get("dynamicImports", [])} - set(keys))
    for key in later:
        file = manifest[key]["file"]
        print(f"  later (import()): {file:<34} {gz(DIST / file) / 1024:7.1f} KB")
    return total


def main() -> int:
    path = DIST / ".vite" / "manifest.json"
    if not path.exists():
        print("No build manifest: run `npm run build` in webclient/ first.", file=sys.stderr)
        return 2
    manifest = json.loads(path.read_text())
    phone = report(manifest, "index.html", "Phone app")
    print()
    report(manifest, "console.html", "Console")
    charts = [k for k in manifest if k.endswith("src/console/charts/echarts.ts")]
    for key in charts:
        file = manifest[key]["file"]
        print(f"\nECharts chunk: {file} {gz(DIST / file) / 1024:.1f} KB gzip")
    precached = (DIST / "sw.js").read_text() if (DIST / "sw.js").exists() else ""
    leaked = [
        k
        for k in manifest
        if "/console/" in manifest[k]["file"] and manifest[k]["file"] in precached
    ]
    if leaked:
        print(f"\nConsole chunks in the service worker's precache: {leaked}", file=sys.stderr)
        return 1
    verdict = "within" if phone <= PHONE_BUDGET else "OVER"
    budget = PHONE_BUDGET // 1024
    print(f"\nPhone first load {phone / 1024:.1f} KB gzip: {verdict} the {budget} KB budget")
    return 0 if phone <= PHONE_BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
