#!/usr/bin/env bash
# Regenerate docs/export-example/: the auditor export pack of the bundled telecom sample log,
# mined with the settings of `servflow demo`. The log is loaded from a fixed scratch folder so
# that the manifest names the same input path on every machine.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/servflow ] && export PATH="$PWD/.venv/bin:$PATH"
work=/tmp/servflow-example
rm -rf "$work"
mkdir -p "$work/sample_logs"
trap 'rm -rf "$work"' EXIT
cp sample_logs/telecom_tickets.csv "$work/sample_logs/"
db="$work/example.duckdb"
servflow ingest "$work/sample_logs/telecom_tickets.csv" --db "$db" --log telecom --quiet >/dev/null
servflow mine telecom --db "$db" --quiet --sla-attribute ticket_type \
    --sla 咨询=4 --sla 报障=48 --sla 投诉=72 --resolution-activity 问题解决 \
    --chase-activity 催单 --escalation-activity 升级 --satisfaction-attribute satisfaction >/dev/null
rm -rf docs/export-example
servflow export telecom --db "$db" --out docs/export-example
# the model as a BPMN modeler draws it, for readers without one
python scripts/bpmn_picture.py docs/export-example/telecom-run1/model.bpmn \
    docs/export-example/model-bpmn-js.png
