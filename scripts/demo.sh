#!/usr/bin/env bash
# Set up, run the main job on the bundled sample logs (ingest -> mine -> report), then serve the
# dashboard on the results. `--no-dashboard` (or SERVFLOW_NO_DASHBOARD=1, or CI=true) stops
# after the report instead; SERVFLOW_DASHBOARD_PORT picks the port (default 8501).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"

dashboard=1
args=()
for arg in "$@"; do
    if [ "$arg" = "--no-dashboard" ]; then dashboard=0; else args+=("$arg"); fi
done
if [ -n "${SERVFLOW_NO_DASHBOARD:-}" ] || [ -n "${CI:-}" ]; then dashboard=0; fi

servflow demo "${args[@]}"
if [ "$dashboard" = 1 ]; then
    port="${SERVFLOW_DASHBOARD_PORT:-8501}"
    echo
    echo "Dashboard: http://localhost:${port}/  (Ctrl-C stops it; --no-dashboard skips it)"
    exec servflow dashboard "${args[@]}" --port "$port"
fi
