#!/usr/bin/env bash
# What `npm test` runs: check tools, build, start the shared registry fixtures, run ava, always clean up.
# Extra arguments go to ava: npm test -- test/support/registry.test.ts
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# command (or dpkg package for files that are not commands) -> Debian package
declare -A tools=(
  [docker-registry]=docker-registry [skopeo]=skopeo [buildah]=buildah [umoci]=umoci [openssl]=openssl
  [htpasswd]=apache2-utils [chromium]=chromium [zstd]=zstd [docker-compose]=docker-compose [debootstrap]=debootstrap
  [dockerd]=docker.io [docker]=docker.io [podman]=podman [rpmbuild]=rpm [sqlite3]=sqlite3
)
missing=()
for cmd in "${!tools[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${tools[$cmd]}")
done
# The fixtures copy /bin/busybox into a scratch image, so it must be the static build.
if ! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed'; then
  missing+=(busybox-static)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if [ "$(id -u)" -eq 0 ]; then
    echo "test/run.sh: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y "${missing[@]}" </dev/null || { apt-get update </dev/null && apt-get install -y "${missing[@]}" </dev/null; }
  else
    echo "test/run.sh: missing tools. Install them with:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 2
  fi
fi

[ -d node_modules ] || npm ci
npm run build
# Tests and bench are type-checked too (the build covers src/ and commands/ only).
npm run typecheck
export IMGVET_BUILT=1

export IMGVET_TEST_TMP
IMGVET_TEST_TMP="$(mktemp -d /tmp/imgvet-test-XXXXXX)"
state="$IMGVET_TEST_TMP/fixtures.json"
log="$IMGVET_TEST_TMP/fixtures.log"
fixtures_pid=""
cleanup() {
  if [ -n "$fixtures_pid" ] && kill -0 "$fixtures_pid" 2>/dev/null; then
    kill -TERM "$fixtures_pid" 2>/dev/null || true
    # The fixtures stop their registries on SIGTERM; give them a moment before removing their files.
    for _ in $(seq 1 50); do kill -0 "$fixtures_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$fixtures_pid" 2>/dev/null || true
  fi
  rm -rf "$IMGVET_TEST_TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

IMGVET_FIXTURES_PARENT=$$ node --import=tsx test/support/fixtures.ts up "$state" >"$log" 2>&1 </dev/null &
fixtures_pid=$!
timeout_s="${IMGVET_FIXTURES_TIMEOUT:-300}"
start=$SECONDS
until [ -f "$state" ]; do
  if ! kill -0 "$fixtures_pid" 2>/dev/null || [ $((SECONDS - start)) -ge "$timeout_s" ]; then
    echo "test/run.sh: fixtures failed to start within ${timeout_s}s; fixture log:" >&2
    cat "$log" >&2
    exit 3
  fi
  sleep 0.5
done
echo "test/run.sh: fixtures ready in $((SECONDS - start))s"

export IMGVET_FIXTURES="$state"
set +e
ava_log="$IMGVET_TEST_TMP/ava.log"
npx ava "$@" 2>&1 | tee "$ava_log"
code=${PIPESTATUS[0]}
set -e
# ava's own summary is not a line CI reads; end with the plain "N passed, N failed" line it does read.
count() { { grep -Eo "^ *[0-9]+ tests? $1" "$ava_log" || true; } | awk '{n += $1} END {print n + 0}'; }
passed=$(count passed); failed=$(count failed); skipped=$(count skipped)
# With failures ava prints no "passed" total: count the tick lines instead.
if [ "$passed" -eq 0 ]; then passed=$(grep -c '^ *✔' "$ava_log" || true); fi
[ "$skipped" -gt 0 ] || skipped=""
[ -n "$passed" ] || passed=0; [ -n "$failed" ] || failed=0
if [ "$code" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "${passed} passed, ${failed} failed${skipped:+, ${skipped} skipped}"
exit "$code"
