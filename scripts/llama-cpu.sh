# Sourced by bootstrap.sh and build-llama-server.sh: the llama.cpp both build, and for which CPU.
#
# llama_version: the llama-cpp-python pin in requirements.txt (its sdist vendors the llama.cpp sources).
# ggml_cpu_flags: not -march=native (GGML_NATIVE). On 2026-12-05 native builds of llama-server and of
# llama-cpp-python, on a CPU that lists AMX and AVX-512, died of SIGILL (signal 4) as soon as they ran the
# base model's Q4_1 weights, while the f16 6G-LLM ran; the same sources built for AVX2 with FMA and F16C
# serve both. Those run on any x86-64 CPU of the last decade.
# ggml_cpu_tag: a short hash of the flags, so that a build made with other flags is never reused.
llama_version=$(sed -n 's/^llama-cpp-python\(\[[a-z]*\]\)\{0,1\}==\([0-9.]*\).*/\2/p' requirements.txt)
ggml_cpu_flags="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
ggml_cpu_tag=$(printf '%s' "$ggml_cpu_flags" | sha256sum | cut -c1-8)
