#!/usr/bin/env bash
# Real-browser tests of the playground, the explorer and the nightly report's HTML page:
# builds riskgraph, starts it on a free loopback port with a fresh embedded store (seeded on
# start), waits for /readyz, runs `riskgraph report --server` beside it for two dates, and
# runs the Playwright tests in e2e/ with the system Chromium. Exits with the test's status.
#
# Env: CHROMIUM (browser binary, default the chromium on PATH), RISKGRAPH_SCREENSHOT_DIR
# (where the screenshot goes, default the system temp directory).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
	echo "browser-test: installing chromium" >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if [ ! -d e2e/node_modules ]; then
	(cd e2e && npm ci --no-audit --no-fund)
fi

tmp=$(mktemp -d)
server_pid=""
cleanup() {
	if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/riskgraph" .

# Ask the kernel for a free port, then hand it to the server.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
url="http://127.0.0.1:$port"

"$tmp/riskgraph" --addr "127.0.0.1:$port" --data "$tmp/data.db" >"$tmp/server.log" 2>&1 &
server_pid=$!

ready=""
deadline=$((SECONDS + 60))
while [ "$SECONDS" -lt "$deadline" ]; do
	if ! kill -0 "$server_pid" 2>/dev/null; then
		echo "browser-test: the server exited before it was ready; its log:" >&2
		cat "$tmp/server.log" >&2
		exit 1
	fi
	if [ "$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' "$url/readyz" || true)" = "200" ]; then
		ready=1
		break
	fi
	sleep 0.5
done
if [ -z "$ready" ]; then
	echo "browser-test: $url/readyz did not answer 200 within 60 s; server log:" >&2
	cat "$tmp/server.log" >&2
	exit 1
fi

# The nightly report beside the running service, through its API, as of two dates of the
# seed story; the browser test opens the second report's HTML page.
for d in 2017-09-01 2017-12-31; do
	"$tmp/riskgraph" report --server "$url" --as-of "$d" --report-dir "$tmp/reports" >/dev/null 2>"$tmp/report.log" || {
		echo "browser-test: riskgraph report --server failed:" >&2
		cat "$tmp/report.log" >&2
		exit 1
	}
done
export RISKGRAPH_REPORT_HTML="$tmp/reports/report-2017-12-31.html"

status=0
# --test-force-exit and timeout: a browser left open by a failed test must not hold up CI.
RISKGRAPH_URL="$url" timeout -k 10 300 node --test --test-force-exit e2e/ || status=$?
if [ "$status" -ne 0 ]; then
	echo "browser-test: failed; server log:" >&2
	tail -n 50 "$tmp/server.log" >&2
fi
exit "$status"
