#!/usr/bin/env bash
# Set up, then run the main job on the bundled sample logs: ingest -> mine -> report.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
exec servflow demo "$@"
