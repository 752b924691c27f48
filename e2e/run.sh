#!/usr/bin/env bash
# e2e/run.sh: the end-to-end tests of the console, against the real binary.
#
# Builds liaison, starts on 127.0.0.1 only (ports the system picks) one node
# with `liaison serve` on a new data directory and the three nodes of
# `liaison demo`, waits until each answers /healthz, runs the tests in e2e/tests
# with `node --test` in headless Debian Chromium, and stops the nodes however
# the run ends. Screenshots of the console go to docs/screenshots/.
#
# Needs Go, Node.js 20+, `npm ci` run in e2e/, and /usr/bin/chromium (or
# CHROMIUM=path). Arguments are test files to run instead of all of them.
# LIAISON_BIN=path runs that binary instead of building one.
# LIAISON_E2E_KEEP=1 keeps the temporary directory (binary, data, logs).
set -euo pipefail

e2e=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$e2e")
tests=()
for t in "$@"; do
  tests+=("$(realpath "$t")") # named from where the caller stands
done
cd "$root"

[ -d "$e2e/node_modules/playwright-core" ] || { echo "e2e: run 'npm ci' in e2e/ first" >&2; exit 1; }
chromium=${CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || { echo "e2e: no Chromium at $chromium (apt-get install chromium, or set CHROMIUM)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/liaison-e2e.XXXXXX")
pids=()

stop() {
  local status=$?
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  # A node shuts down gracefully on SIGTERM; one still running after 10 s is killed.
  for pid in "${pids[@]}"; do
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ "$status" -ne 0 ] || [ -n "${LIAISON_E2E_KEEP:-}" ]; then
    echo "e2e: logs and data in $work" >&2
  else
    rm -rf "$work"
  fi
  exit "$status"
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start NAME COMMAND…: runs a node in the background, its output in
# WORK/NAME.out and .err, its process id in WORK/NAME.pid.
start() {
  local name=$1
  shift
  "$@" >"$work/$name.out" 2>"$work/$name.err" &
  pids+=("$!")
  echo "$!" >"$work/$name.pid"
}

if [ -n "${LIAISON_BIN:-}" ]; then
  echo "== e2e: using $LIAISON_BIN"
  cp "$LIAISON_BIN" "$work/liaison"
else
  echo "== e2e: building liaison"
  go build -o "$work/liaison" ./cmd/liaison
fi

echo "== e2e: starting the nodes"
start_time=$(date +%s)
LIAISON_LOG_FORMAT=json start serve "$work/liaison" --data "$work/node" serve \
  --listen 127.0.0.1:0 --federation-listen off --org-name "E2E Test Service" --org-country GB
start demo "$work/liaison" demo --dir "$work/demo"
node "$e2e/lib/wait-for-nodes.js" "$work"

echo "== e2e: tests"
if [ ${#tests[@]} -eq 0 ]; then
  tests=("$e2e"/tests/*.test.js)
fi
export LIAISON_E2E_STATE="$work/state.json"
# The binary and the serve node's data directory, for the tests that run
# admin commands (liaison org|user|collection|marking) on the running node.
export LIAISON_E2E_BIN="$work/liaison"
export LIAISON_E2E_NODE_DATA="$work/node"
export CHROMIUM="$chromium"
export LIAISON_E2E_SCREENSHOTS="${LIAISON_E2E_SCREENSHOTS:-$root/docs/screenshots}"
export LIAISON_E2E_OUT="${LIAISON_E2E_OUT:-$e2e/out}"
node --test --test-reporter=spec --test-concurrency=1 --test-timeout=120000 "${tests[@]}"
echo "e2e: done in $(( $(date +%s) - start_time )) s after the build"
