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
  npm run --silent build && node dist/rig/cli/main.js nightly --suite "$suite" "$@"
} >"$log" 2>&1 || status=$?
echo "nightly: suite $suite finished with status $status; log $log" >&2
exit "$status"
