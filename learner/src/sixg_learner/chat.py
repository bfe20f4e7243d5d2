"""A minimal client for an OpenAI-compatible chat endpoint, and the local model server on demand.

Plain `urllib` (the project's Python environment has neither `openai` nor `httpx`). The endpoint is
maestro's model server (`model-server/serve.py`: llama-cpp-python serving SmolLM2-135M-Instruct as
`smollm2-135m-instruct`) or anything else that speaks `/v1/chat/completions` (vLLM, OpenAI).

JSON constraint, as in `core/llm/chat-model.ts`: llama-cpp-python's server rejects OpenAI's
`json_schema` response format but constrains `json_object` to a `schema` given beside it
(``json_mode="llama_cpp"``); OpenAI and vLLM take ``{"type": "json_schema", ...}`` (``"json_schema"``);
``"none"`` sends no constraint.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlparse

from sixg_learner.files import repository_root

JsonMode = Literal["llama_cpp", "json_schema", "none"]

DEFAULT_BASE_URL = "http://127.0.0.1:8000/v1"
LOCAL_MODEL_ID = "smollm2-135m-instruct"
"""The alias `model-server/serve.py` serves SmolLM2-135M-Instruct under."""
SIXG_MODEL_ID = "sixg-llm"
"""The alias `model-server/serve.py` serves the promoted 6G-LLM under (when data/models/promoted.gguf exists)."""


def default_base_url() -> str:
    """`MAESTRO_SIXG_BASE_URL`, else `OPENAI_BASE_URL`, else the local model server's default address."""
    return os.environ.get("MAESTRO_SIXG_BASE_URL") or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL


@dataclass(frozen=True)
class ChatAnswer:
    content: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str | None
    latency_s: float


class ChatError(RuntimeError):
    """The endpoint did not answer, or answered with an error."""


def response_format(schema: dict[str, Any] | None, mode: JsonMode, name: str = "answer") -> dict[str, Any] | None:
    if schema is None or mode == "none":
        return None
    if mode == "llama_cpp":
        return {"type": "json_object", "schema": schema}
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}}


def chat_completion(
    base_url: str,
    model: str,
    messages: list[dict[str, str]],
    *,
    max_tokens: int,
    temperature: float = 0.0,
    schema: dict[str, Any] | None = None,
    json_mode: JsonMode = "llama_cpp",
    seed: int | None = None,
    timeout_s: float = 300.0,
) -> ChatAnswer:
    """One chat completion; raises ChatError when the endpoint fails."""
    body: dict[str, Any] = {
        "model": model,
        "messages": messages,
        "max_tokens": max_tokens,
        "temperature": temperature,
    }
    fmt = response_format(schema, json_mode)
    if fmt is not None:
        body["response_format"] = fmt
    if seed is not None:
        body["seed"] = seed
    request = urllib.request.Request(
        f"{base_url.rstrip('/')}/chat/completions",
        data=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {os.environ.get('OPENAI_API_KEY', 'sk-local')}",
        },
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            payload = json.load(response)
    except urllib.error.HTTPError as err:
        detail = err.read().decode(errors="replace")[:500]
        raise ChatError(f"{base_url}: HTTP {err.code}: {detail}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as err:
        raise ChatError(f"{base_url}: {err}") from None
    try:
        choice = payload["choices"][0]
        usage = payload.get("usage") or {}
        return ChatAnswer(
            content=choice["message"].get("content") or "",
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
            finish_reason=choice.get("finish_reason"),
            latency_s=time.perf_counter() - started,
        )
    except (KeyError, IndexError, TypeError) as err:
        raise ChatError(f"{base_url}: unexpected answer {json.dumps(payload)[:300]}: {err}") from None


def endpoint_answers(base_url: str, timeout_s: float = 3.0) -> bool:
    """Whether `GET {base_url}/models` answers 200."""
    try:
        with urllib.request.urlopen(f"{base_url.rstrip('/')}/models", timeout=timeout_s) as response:
            return response.status == 200
    except (urllib.error.URLError, TimeoutError, OSError):
        return False


def _model_entries(base_url: str, timeout_s: float) -> list[dict[str, Any]]:
    """The entries `GET {base_url}/models` lists ([] when it does not answer or answers oddly)."""
    try:
        with urllib.request.urlopen(f"{base_url.rstrip('/')}/models", timeout=timeout_s) as response:
            payload = json.loads(response.read())
        entries = payload.get("data", [])
        return [entry for entry in entries if isinstance(entry, dict) and "id" in entry]
    except (urllib.error.URLError, TimeoutError, OSError, ValueError, TypeError, AttributeError):
        return []


def served_models(base_url: str, timeout_s: float = 3.0) -> list[str]:
    """The model ids `GET {base_url}/models` lists ([] when it does not answer or answers oddly).

    Worth asking before using an alias: llama-cpp-python's server answers a model name it does not
    serve with its default model instead of an error, so a missing `sixg-llm` would go unnoticed.
    """
    return [str(entry["id"]) for entry in _model_entries(base_url, timeout_s)]


def served_prompt(base_url: str, model: str, timeout_s: float = 3.0) -> str:
    """The prompt variant the served `model` was trained with, as maestro's model server lists it with the
    model (`"prompt"`); "plain" for any other model or server (the prompt every model had before)."""
    for entry in _model_entries(base_url, timeout_s):
        if entry["id"] == model:
            return str(entry.get("prompt", "plain"))
    return "plain"


def _is_local(base_url: str) -> bool:
    return urlparse(base_url).hostname in {"127.0.0.1", "localhost", "::1"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def model_endpoint(base_url: str | None = None, startup_timeout_s: float = 180.0) -> Iterator[str]:
    """Yields a base URL that answers: `base_url` (default `default_base_url()`) if it does, else a
    local `model-server/serve.py` started on a free port for the duration of the block (only when
    the wanted endpoint is local; a remote one that does not answer raises ChatError)."""
    wanted = base_url or default_base_url()
    if endpoint_answers(wanted):
        yield wanted
        return
    if not _is_local(wanted):
        raise ChatError(f"the model endpoint {wanted} does not answer")
    serve = repository_root() / "model-server" / "serve.py"
    if not serve.is_file():
        raise ChatError(f"{wanted} does not answer and {serve} is missing")
    port = _free_port()
    started_url = f"http://127.0.0.1:{port}/v1"
    print(f"[sixg] {wanted} does not answer: starting {serve.name} on port {port}", file=sys.stderr)
    log = tempfile.TemporaryFile()  # a file, not a pipe: a chatty server never blocks on a full pipe
    process = subprocess.Popen(
        [sys.executable, str(serve), "--port", str(port)],
        cwd=serve.parent,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    try:
        deadline = time.monotonic() + startup_timeout_s
        while not endpoint_answers(started_url, timeout_s=1.0):
            if process.poll() is not None:
                log.seek(0)
                err = log.read().decode(errors="replace")[-1000:]
                raise ChatError(f"the model server exited with {process.returncode}: {err}")
            if time.monotonic() > deadline:
                raise ChatError(f"the model server did not answer on {started_url} within {startup_timeout_s:.0f} s")
            time.sleep(0.5)
        yield started_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
