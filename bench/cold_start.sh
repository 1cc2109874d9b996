#!/usr/bin/env bash
# Cold start of the two front-door binaries beside a bare net/http floor:
# binary size, exec→ready, first request against the dev tenant (token +
# Graph), RSS after the first request. Medians of N runs (default 20).
set -euo pipefail
cd "$(dirname "$0")/.."
N="${N:-20}"
out=$(go test -run '^$' -bench 'ColdStart' -benchtime "${N}x" ./bench/ 2>&1) || { echo "$out"; exit 1; }
echo "$out" | grep -E '^Benchmark' > /tmp/tenantops-coldstart.txt || true
awk -v n="$N" '
/^Benchmark/ {
  split($1, p, "/"); grp = p[1]; sub(/^Benchmark/, "", grp); name = p[2]; sub(/-[0-9]+$/, "", name)
  for (i = 3; i < NF; i += 2) v[grp, name, $(i+1)] = $i
  if (name != "floor") door[grp] = name
}
END {
  printf "medians of %s cold starts (floor = bare net/http, no SDK)\n\n", n
  printf "%-22s %10s %10s %13s %9s\n", "binary", "size MB", "ready ms", "first-req ms", "RSS MB"
  for (g in door) {
    d = door[g]
    printf "%-22s %10.2f %10.2f %13.2f %9.2f\n", d, v[g,d,"size-MB"], v[g,d,"ready-ms"], v[g,d,"first-req-ms"], v[g,d,"rss-MB"]
    printf "%-22s %10.2f %10.2f %13.2f %9.2f\n", "  floor", v[g,"floor","size-MB"], v[g,"floor","ready-ms"], v[g,"floor","first-req-ms"], v[g,"floor","rss-MB"]
    printf "%-22s %9.1fx %9.1fx %12.1fx %8.1fx\n", "  ratio", v[g,d,"size-MB"]/v[g,"floor","size-MB"], v[g,d,"ready-ms"]/v[g,"floor","ready-ms"], v[g,d,"first-req-ms"]/v[g,"floor","first-req-ms"], v[g,d,"rss-MB"]/v[g,"floor","rss-MB"]
  }
}' /tmp/tenantops-coldstart.txt
