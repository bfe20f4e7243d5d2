#!/usr/bin/env bash
# Runs a command with the project's toolchain: installs what is missing, then puts the
# project-local Node, node_modules/.bin and the Python venv first on PATH.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$root/scripts/bootstrap.sh"
export PATH="$root/.tools/bin:$root/node_modules/.bin:$root/.venv/bin:$PATH"
exec "$@"
