#!/usr/bin/env bash
# Re-resolve requirements.in into the pinned requirements.lock used by every install.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/uv pip compile --python-version 3.11 requirements.in -o requirements.lock
