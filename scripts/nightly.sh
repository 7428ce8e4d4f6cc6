#!/usr/bin/env bash
# The cron / systemd entry point of a lab's nightly run: builds this checkout, runs one suite
# (default: emulated), keeps the night's log beside its results, and exits with rig's status
# (0: no regression, 1: a regression, mismatch or failure; others: rig could not run).
#   scripts/nightly.sh [SUITE] [more rig nightly options]
set -euo pipefail
cd "$(dirname "$0")/.."

suite="${1:-emulated}"
shift || true
log_dir="results/nightly/logs"
mkdir -p "$log_dir"
log="$log_dir/$(date -u +%Y-%m-%dT%H%M%SZ)-$suite.log"

# Two nights never overlap: a second start while one runs exits at once (status 75).
exec 9>"results/nightly/.lock-$suite"
if ! flock -n 9; then
  echo "nightly: suite $suite is already running" >&2
  exit 75
fi

status=0
{
  echo "nightly: $(date -u +%FT%TZ) suite $suite at $(git rev-parse --short HEAD 2>/dev/null || echo 'unknown revision')"
  npm run --silent build
} >"$log" 2>&1 || status=$?
if [ "$status" -eq 0 ]; then
  # rig runs in the background so that a SIGTERM, SIGHUP or SIGINT sent to this script alone
  # (timeout, systemd, a CI job's cancellation) reaches it: rig then marks the night interrupted
  # and writes its files for what ran, and the script exits with rig's status (143, 129, 130).
  node dist/rig/cli/main.js nightly --suite "$suite" "$@" >>"$log" 2>&1 &
  rig=$!
  for sig in TERM HUP INT; do
    trap 'kill -'"$sig"' "$rig" 2>/dev/null' "$sig"
  done
  # wait returns early when a trapped signal arrives: it waits again until rig has ended, then
  # takes rig's own status.
  wait "$rig" || true
  while kill -0 "$rig" 2>/dev/null; do wait "$rig" || true; done
  wait "$rig" || status=$?
fi
echo "nightly: suite $suite finished with status $status; log $log" >&2
exit "$status"
