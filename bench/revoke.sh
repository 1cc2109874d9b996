#!/usr/bin/env bash
# Bulk revocation of ~10,000 users on the dev tenant (50 ms per request, the
# documented write budget: 3,000 per 150 s per app and tenant). Prints the
# throughput against the budget's ceiling, the 429 share, and the ratio to a
# sequential one-call-per-user loop measured in the same run.
# At the documented budget a run takes about 6 minutes; BENCH_SCALE=10 runs
# the same budget shape ten times faster.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(go test -run '^$' -bench 'Revoke10k' -benchtime 1x -timeout 60m ./bench/ 2>&1) || { echo "$out"; exit 1; }
line=$(echo "$out" | grep '^BenchmarkRevoke10k')
get() { echo "$line" | awk -v k="$1" '{for (i = 3; i < NF; i += 2) if ($(i+1) == k) print $i}'; }
printf 'users revoked            %s (in %s s, BENCH_SCALE=%s)\n' "$(get users)" "$(get run-s)" "${BENCH_SCALE:-1}"
printf 'throughput               %s users/s\n' "$(get users/s)"
printf 'budget ceiling           %s users/s  ->  %s %% of the ceiling (goal >= 90)\n' "$(get ceiling-users/s)" "$(get %-of-ceiling)"
printf 'answered 429             %s %% of requests (goal < 1)\n' "$(get %-429)"
printf 'sequential loop          %s users/s  ->  %sx faster\n' "$(get sequential-users/s)" "$(get x-vs-sequential)"
