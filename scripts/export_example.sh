#!/usr/bin/env bash
# Regenerate docs/export-example/: the auditor export pack of the bundled telecom sample log,
# mined with the settings of `servflow demo`. Input paths are stored relative to the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
db="$work/example.duckdb"
servflow ingest sample_logs/telecom_tickets.csv --db "$db" --log telecom --quiet >/dev/null
servflow mine telecom --db "$db" --quiet --sla-attribute ticket_type \
    --sla 咨询=4 --sla 报障=48 --sla 投诉=72 --resolution-activity 问题解决 \
    --chase-activity 催单 --escalation-activity 升级 --satisfaction-attribute satisfaction >/dev/null
rm -rf docs/export-example
servflow export telecom --db "$db" --out docs/export-example
