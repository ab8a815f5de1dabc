#!/usr/bin/env bash
# Start the shared test fixtures by hand (no npm needed) and keep them running in the background:
#   eval "$(test/support/fixtures-up.sh)"     # then: npx ava test/some/file.test.ts
# Stop with: kill "$IMGVET_FIXTURES_PID"
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export IMGVET_TEST_TMP="${IMGVET_TEST_TMP:-$(mktemp -d /tmp/imgvet-test-XXXXXX)}"
state="$IMGVET_TEST_TMP/fixtures.json"
log="$IMGVET_TEST_TMP/fixtures.log"
cd "$here"
# setsid: the fixtures outlive this script and are not hit by the caller's Ctrl-C.
setsid node --import=tsx test/support/fixtures.ts up "$state" >"$log" 2>&1 < /dev/null &
pid=$!
for _ in $(seq 1 600); do
  [ -f "$state" ] && break
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "fixtures failed to start; log follows:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.5
done
if [ ! -f "$state" ]; then
  echo "fixtures did not become ready within 300s; log: $log" >&2
  kill "$pid" 2>/dev/null || true
  exit 1
fi
echo "export IMGVET_FIXTURES=$state IMGVET_TEST_TMP=$IMGVET_TEST_TMP IMGVET_FIXTURES_PID=$pid"
