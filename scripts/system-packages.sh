#!/usr/bin/env bash
# The system programs the test suite needs and pip cannot install: PostgreSQL's server binaries
# (Airflow's metadata database in the integration tests), Redis (the Celery broker) and headless
# Chromium (the screenshots of the plugin page). `make test` and `.ci/run` both call this script.
# As root on Debian or Ubuntu it installs what is missing with apt-get; otherwise it names the
# packages to install and fails, because the tests fail (never skip) without them.
# It prints the directory that holds initdb and pg_ctl (Debian keeps them out of PATH).
set -euo pipefail

pg_bin() {
    if command -v initdb > /dev/null && command -v pg_ctl > /dev/null; then
        dirname "$(command -v pg_ctl)"
    else
        ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -n 1
    fi
}

missing=()
command -v redis-server > /dev/null || missing+=(redis-server)
command -v chromium > /dev/null || missing+=(chromium)
[ -n "$(pg_bin)" ] && [ -x "$(pg_bin)/initdb" ] || missing+=(postgresql)

if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get > /dev/null; then
        echo "installing system packages for the tests: ${missing[*]}" >&2
        apt-get update -qq > /dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" > /dev/null
    else
        echo "the tests need these system packages: ${missing[*]}" >&2
        echo "install them, e.g.: sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
fi
pg_bin
