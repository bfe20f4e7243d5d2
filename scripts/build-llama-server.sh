#!/usr/bin/env bash
# Builds llama.cpp's HTTP server (llama-server) into .tools/llama-server/bin, once per version.
#
# No binary downloads here: the sources come from the llama-cpp-python sdist on PyPI, which vendors
# llama.cpp, at the version requirements.txt pins (so the server and the Python bindings are the same
# llama.cpp). Only the llama-server target is built, statically, without the web UI, TLS or curl.
# The model server (model-server/backends.py) uses it when present and falls back to llama-cpp-python's
# one-request-at-a-time server when it is not, so a failed build degrades, it does not break setup.
# Takes ~6 min on 2 cores the first time; reruns see the stamp and return at once.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
say() { printf '[setup] %s\n' "$*" >&2; }

# shellcheck source=scripts/llama-cpu.sh
. "$root/scripts/llama-cpu.sh"
version=$llama_version
[ -n "$version" ] || { say "llama-server: no llama-cpp-python pin in requirements.txt"; exit 1; }
flags="-DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF \
-DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_APP=OFF \
$ggml_cpu_flags"
dest="$root/.tools/llama-server"
stamp="$version $(printf '%s' "$flags" | sha256sum | cut -c1-12)"
if [ -x "$dest/bin/llama-server" ] && [ "$(cat "$dest/.stamp" 2>/dev/null)" = "$stamp" ]; then
  exit 0
fi

cmake_bin=$(command -v cmake || true)
if [ -z "$cmake_bin" ]; then
  .venv/bin/pip install --quiet cmake
  cmake_bin="$root/.venv/bin/cmake"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
say "building llama-server from llama-cpp-python $version's vendored llama.cpp (~6 min on 2 cores, once)"
started=$(date +%s)
.venv/bin/pip download --quiet --no-deps --no-binary :all: "llama-cpp-python==$version" -d "$work" 2>/dev/null
tar xzf "$work"/llama_cpp_python-"$version".tar.gz -C "$work" --wildcards "*/vendor/llama.cpp/*"
# shellcheck disable=SC2086 # $flags is a list of arguments
"$cmake_bin" -S "$work/llama_cpp_python-$version/vendor/llama.cpp" -B "$work/build" $flags > "$work/configure.log" 2>&1 ||
  { tail -20 "$work/configure.log" >&2; exit 1; }
"$cmake_bin" --build "$work/build" --target llama-server -j "$(nproc)" > "$work/build.log" 2>&1 ||
  { tail -30 "$work/build.log" >&2; exit 1; }
mkdir -p "$dest/bin"
install -m 755 "$work/build/bin/llama-server" "$dest/bin/llama-server"
echo "$stamp" > "$dest/.stamp"
say "llama-server built in $(($(date +%s) - started)) s: $dest/bin/llama-server"
