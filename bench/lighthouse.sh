#!/usr/bin/env bash
# Lighthouse on a page of the web client opened by a signed-in user, against a live demo
# server on a fresh SQLite database. The issues ask for >= 95 performance on the phone
# (>= 90 on the console) and 100 accessibility and best practices. A benchmark, not a CI test: run it by hand.
#
#   bench/lighthouse.sh                   # the phone's Today screen (mobile), manager1 (390 customers)
#   bench/lighthouse.sh console           # the console's team dashboard (desktop preset), lead1
#                                         #   (4 managers, ~1,500 customers)
#   bench/lighthouse.sh console admin     # another user: an admin's dashboard shows every team
#   LH_USER=manager3 bench/lighthouse.sh  # LH_USER names the user too
#
# Needs Debian's Chromium (/usr/bin/chromium, or CHROME_PATH) and npm; Lighthouse is
# installed into bench/node_modules (bench/package.json), not into the web client.
# Lighthouse cannot sign in by itself: see "signing in" below.
set -euo pipefail
cd "$(dirname "$0")/.."

# What differs between the two pages: where to go, the device Lighthouse plays, who
# signs in by default, and where the report is kept (under instance/).
TARGET=${1:-phone}
case "$TARGET" in
  phone)
    ROUTE="/#/today" FORM_FACTOR=mobile DEFAULT_USER=manager1 REPORT=lighthouse-report.html
    PERFORMANCE=95
    PRESET=(--form-factor=mobile) ;;
  console)
    ROUTE="/console" FORM_FACTOR=desktop DEFAULT_USER=lead1 REPORT=lighthouse-console-report.html
    PERFORMANCE=90
    PRESET=(--preset=desktop) ;;
  *)
    echo "usage: bench/lighthouse.sh [phone|console] [user]" >&2
    exit 2 ;;
esac

export CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium}
USER_NAME=${2:-${LH_USER:-$DEFAULT_USER}}
PASSWORD=fieldbook-demo
CHROME_FLAGS="--headless=new --no-sandbox --disable-gpu --disable-background-networking"

[ -x "$CHROME_PATH" ] || { echo "Lighthouse needs Chromium: apt-get install chromium" >&2; exit 1; }
[ -x .venv/bin/fieldbook ] || { echo "Run ./dev test or ./dev demo once to set up .venv" >&2; exit 1; }
if [ ! -x bench/node_modules/.bin/lighthouse ]; then
  (cd bench && npm install --no-audit --no-fund --loglevel=error)
fi
(cd webclient && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; } \
  && npm run --silent build >/dev/null)

tmp=$(mktemp -d)
server_pid=
chrome_pid=
cleanup() {
  for pid in $chrome_pid $server_pid; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

export FIELDBOOK_ENV=development DATABASE_URL="sqlite:///$tmp/demo.db"
port=$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"

echo "== seeding the demo data"
.venv/bin/fieldbook demo --no-serve >"$tmp/seed.log" 2>&1 || { cat "$tmp/seed.log"; exit 1; }
.venv/bin/fieldbook demo --port "$port" >"$tmp/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  curl -s -o /dev/null "$url/api/v1/tiers" && break
  sleep 0.1
done

# Signing in. Lighthouse starts from an empty profile, and neither page counts a bare
# profile as signed in: the phone app wants the user's copy in IndexedDB (a session
# cookie alone shows the sign-in screen), the console asks the server (GET /auth/me)
# with the session cookie. So: one Chromium with a profile of its own; sign in there
# on the page's own form (Playwright from .venv, over CDP), which on the phone runs the
# first full sync; then Lighthouse audits the page in that same browser with
# --disable-storage-reset: a signed-in user opening the app.
echo "== signing in as $USER_NAME on the $TARGET"
cdp_port=$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# The phone lives in the operator's time zone (the server's "today").
# shellcheck disable=SC2086
TZ=${FIELDBOOK_TIMEZONE:-Asia/Shanghai} "$CHROME_PATH" $CHROME_FLAGS --remote-debugging-port="$cdp_port" --user-data-dir="$tmp/profile" \
  --no-first-run about:blank >"$tmp/chromium.log" 2>&1 &
chrome_pid=$!
for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://127.0.0.1:$cdp_port/json/version" && break
  sleep 0.1
done
.venv/bin/python - "$url" "$cdp_port" "$TARGET" "$ROUTE" "$USER_NAME" "$PASSWORD" <<'PY'
import re
import sys

from playwright.sync_api import expect, sync_playwright

url, port, target, route, username, password = sys.argv[1:]
with sync_playwright() as p:
    browser = p.chromium.connect_over_cdp(f"http://127.0.0.1:{port}")
    page = browser.contexts[0].new_page()
    page.goto(f"{url}{route}")
    form = page.get_by_test_id("login-form")
    form.locator('[name="username"]').fill(username)
    form.locator('[name="password"]').fill(password)
    form.locator('[name="remember"]').set_checked(True)
    form.locator('[type="submit"]').click()
    if target == "phone":
        # The first full sync, then the service worker: the phone works offline from here.
        expect(page.get_by_test_id("sync-pending")).to_have_text("0", timeout=60_000)
        expect(page.get_by_test_id("sync-last")).to_have_text(re.compile(r"\d"), timeout=60_000)
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        rows = page.evaluate("indexedDB.databases().then((d) => d.map((x) => x.name).join(','))")
        print(f"   signed in; IndexedDB: {rows}")
    else:
        expect(page.get_by_test_id("manager-table")).to_be_visible(timeout=60_000)
        print("   signed in; the dashboard answers")
    page.close()
PY

echo "== lighthouse ($FORM_FACTOR) on $url$ROUTE"
bench/node_modules/.bin/lighthouse "$url$ROUTE" \
  --quiet \
  --port="$cdp_port" \
  --disable-storage-reset \
  "${PRESET[@]}" \
  --only-categories=performance,accessibility,best-practices \
  --output=json --output=html \
  --output-path="$tmp/report"
kill "$chrome_pid" 2>/dev/null || true
wait "$chrome_pid" 2>/dev/null || true
chrome_pid=

mkdir -p instance && cp "$tmp/report.report.html" "instance/$REPORT"
node -e '
const r = require(process.argv[1]);
const want = { performance: Number(process.argv[3]), accessibility: 100, "best-practices": 100 };
let ok = true;
for (const [id, floor] of Object.entries(want)) {
  const score = Math.round(r.categories[id].score * 100);
  ok = ok && score >= floor;
  console.log(`${r.categories[id].title.padEnd(16)} ${String(score).padStart(3)}  (wanted >= ${floor})`);
}
for (const id of ["first-contentful-paint", "largest-contentful-paint", "total-blocking-time",
                  "cumulative-layout-shift", "speed-index"]) {
  console.log(`  ${r.audits[id].title.padEnd(26)} ${r.audits[id].displayValue}`);
}
const failed = Object.values(r.audits).filter((a) => a.score !== null && a.score < 1 &&
  ["accessibility", "best-practices"].some((c) => r.categories[c].auditRefs.some((ref) => ref.id === a.id && ref.weight > 0)));
for (const a of failed) console.log(`  failing: ${a.id}: ${a.title}`);
console.log(`full report: instance/${process.argv[2]}`);
process.exit(ok ? 0 : 1);
' "$tmp/report.report.json" "$REPORT" "$PERFORMANCE"
