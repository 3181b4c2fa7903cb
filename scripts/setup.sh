#!/usr/bin/env bash
# Install everything servflow needs on a Debian machine with Python 3.11:
# system packages (Graphviz, CJK fonts, Chromium for the browser checks, OpenSSH for the
# SFTP source tests) and a
# virtual environment in .venv with the pinned dependency tree of requirements.lock.
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for pkg in graphviz fonts-noto-cjk fontconfig chromium chromium-driver poppler-utils openssh-server; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# Node.js and npm: bpmn-js renders the exported BPMN in the export tests.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
    echo "servflow setup: installing system packages: ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
    echo "servflow setup: creating .venv with $($PYTHON --version)"
    "$PYTHON" -m venv .venv
fi
stamp=".venv/.servflow-lock.sha256"
want="$(sha256sum requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "servflow setup: installing the pinned Python dependencies (requirements.lock)"
    .venv/bin/python -m pip install -q "uv==0.13.9"
    .venv/bin/uv pip install -q --compile-bytecode --python .venv/bin/python -r requirements.lock
    .venv/bin/uv pip install -q --python .venv/bin/python --no-deps -e .
    echo "$want" > "$stamp"
fi
# servflow's own modules byte-compiled here (up-to-date ones are skipped): where bytecode is not
# written at run time (PYTHONDONTWRITEBYTECODE, read-only checkouts) every command would
# otherwise compile them again
.venv/bin/python -m compileall -q -j 0 mining optimization servflow dashboard dags bench

# bpmn-js (pinned by tests/bpmnjs/package-lock.json) for the export tests.
if [ ! -f tests/bpmnjs/node_modules/bpmn-js/dist/bpmn-viewer.production.min.js ]; then
    echo "servflow setup: installing bpmn-js (npm ci in tests/bpmnjs)"
    (cd tests/bpmnjs && npm ci --no-audit --no-fund --silent)
fi
