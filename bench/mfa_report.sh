#!/usr/bin/env bash
# `tenantops mfa report` over a generated tenant: wall time against the floor
# that the documented budgets set (registration report: 1,000 users a page,
# 5 requests per 10 s; per-user MFA state: 8,000 resource units per 10 s), and
# the CLI process's peak RSS. Runs two sizes to show memory stays flat.
# USERS="10000 100000" by default; one 100k pass takes a few minutes because
# the budgets, not the CPU, bound it.
set -euo pipefail
cd "$(dirname "$0")/.."
USERS="${USERS:-10000 100000}"
bin=$(mktemp -d)/tenantops
go build -o "$bin" ./scripts/tenantops
printf "%-8s %9s %9s %8s %14s %16s\n" users floor-s wall-s x-floor cli-wall-s cli-peak-rss-MB
for n in $USERS; do
  out=$(TENANTOPS_BIN="$bin" TENANTOPS_BENCH_USERS="$n" go test -run '^$' -bench 'ReportLarge' -benchtime 1x -timeout 60m ./shared/mfa/ 2>&1) || { echo "$out"; exit 1; }
  line=$(echo "$out" | grep -E '^BenchmarkReportLarge')
  metric() { echo "$line" | awk -v m="$1" '{for (i = 3; i < NF; i++) if ($(i+1) == m) print $i}'; }
  printf "%-8s %9.1f %9.1f %8.2f %14.1f %16.1f\n" "$n" "$(metric floor-s)" "$(metric wall-s)" "$(metric x-floor)" "$(metric cli-wall-s)" "$(metric cli-peak-rss-MB)"
done
echo "goal: x-floor close to 1, cli-peak-rss-MB flat across sizes and under 100"
