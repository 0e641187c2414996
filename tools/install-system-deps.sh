#!/usr/bin/env bash
# Installs the Debian packages the tests need, when missing: PgBouncer and the
# PostgreSQL 15 server binaries (the emulator's PgBouncer backend), and shellcheck
# (ansible-test sanity skips its shellcheck test without it). Needs root (CI runs as root).
set -euo pipefail

PG_BIN=/usr/lib/postgresql/15/bin
missing=()
command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)
[ -x "$PG_BIN/initdb" ] || missing+=(postgresql-15)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v shellcheck >/dev/null 2>&1 || missing+=(shellcheck)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]}; install them as root (apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# The packages' own services are not wanted: the emulator starts private servers.
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
