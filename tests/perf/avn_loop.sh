#!/usr/bin/env bash
# Benchmark baseline: Aiven's own CLI, one `avn` process per pool.
#
#   avn_loop.sh PROJECT POOLS.tsv
#
# POOLS.tsv: service, pool, database, user, size, mode (tab-separated, one pool a line).
# Authentication from AIVEN_AUTH_TOKEN and AIVEN_WEB_URL in the environment; `avn` is
# looked up on PATH.
set -euo pipefail

project=$1
while IFS=$'\t' read -r service pool database user size mode; do
  avn service connection-pool-create --project "$project" "$service" \
    --pool-name "$pool" --dbname "$database" --username "$user" \
    --pool-size "$size" --pool-mode "$mode"
done <"$2"
