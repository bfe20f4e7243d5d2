"""The model server's front: one OpenAI-compatible base URL, each request routed by its model name.

Chat requests for the base model are proxied, unparsed, to the chat backend (backends.py): the front
adds about a millisecond and never serialises them, so llama-server's slots see every parallel agent
turn at once. `sixg-llm` is decoded here (sixg.py) in a worker thread. Embeddings are MiniLM's.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import httpx
from embeddings import EMBEDDING_MODEL_ALIAS, SentenceEncoder, embeddings_router
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.background import BackgroundTask

if TYPE_CHECKING:
    from backends import ChatBackend
    from sixg import SixgDecoder

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}


def openai_error(status: int, message: str, kind: str = "invalid_request_error") -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind, "code": status}}, status_code=status)


class FrontMetrics:
    """The front's own counters, in Prometheus text beside the backend's."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[tuple[str, str]] = Counter()
        self.seconds: Counter[str] = Counter()

    def observe(self, route: str, outcome: str, seconds: float) -> None:
        with self._lock:
            self.requests[(route, outcome)] += 1
            self.seconds[route] += seconds

    def text(self) -> str:
        with self._lock:
            lines = [
                "# HELP maestro_model_server_requests_total Requests the front answered, by route and outcome.",
                "# TYPE maestro_model_server_requests_total counter",
                *(
                    f'maestro_model_server_requests_total{{route="{r}",outcome="{o}"}} {n}'
                    for (r, o), n in sorted(self.requests.items())
                ),
                "# HELP maestro_model_server_request_seconds_total Wall seconds answering, by route.",
                "# TYPE maestro_model_server_request_seconds_total counter",
                *(
                    f'maestro_model_server_request_seconds_total{{route="{r}"}} {s:.3f}'
                    for r, s in sorted(self.seconds.items())
                ),
            ]
        return "\n".join(lines) + "\n"


def sixg_request(body: dict[str, Any]) -> tuple[list[dict[str, str]], dict[str, Any] | None, int, float, int | None]:
    """(messages, schema, max_tokens, temperature, seed) of a chat request for the 6G-LLM; ValueError if malformed."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ValueError("messages: a non-empty list is required")
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise ValueError(f"messages[{i}]: an object with a string role is required")
        if not isinstance(message.get("content"), str):
            raise ValueError(f"messages[{i}].content: a string is required")
    if body.get("stream"):
        raise ValueError("stream: the 6G-LLM answers in one piece (stream must be false)")
    max_tokens = body.get("max_tokens", body.get("max_completion_tokens", 256))
    temperature = body.get("temperature", 1.0)
    seed = body.get("seed")
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or not 1 <= max_tokens <= 1024:
        raise ValueError("max_tokens: an integer in 1..1024")
    if not isinstance(temperature, int | float) or isinstance(temperature, bool) or not 0 <= temperature <= 2:
        raise ValueError("temperature: a number in 0..2")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise ValueError("seed: an integer")
    schema: dict[str, Any] | None = None
    fmt = body.get("response_format")
    if isinstance(fmt, dict):
        if fmt.get("type") == "json_schema":
            schema = (fmt.get("json_schema") or {}).get("schema")
        elif fmt.get("type") == "json_object":
            schema = fmt.get("schema")
        if schema is not None and not isinstance(schema, dict):
            raise ValueError("response_format: the schema must be an object")
    return (
        [{"role": m["role"], "content": m["content"]} for m in messages],
        schema,
        max_tokens,
        float(temperature),
        seed,
    )


def create_app(
    chat: ChatBackend,
    chat_alias: str,
    sixg: SixgDecoder | None,
    sixg_alias: str,
    encoder: SentenceEncoder,
) -> FastAPI:
    client = httpx.AsyncClient(base_url=chat.base_url, timeout=httpx.Timeout(None, connect=5.0))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await client.aclose()

    app = FastAPI(title="maestro model server", lifespan=lifespan)
    metrics = FrontMetrics()
    app.include_router(embeddings_router(encoder))

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        ids = [chat_alias, *([sixg_alias] if sixg is not None else []), EMBEDDING_MODEL_ALIAS]
        data: list[dict[str, Any]] = [{"id": i, "object": "model", "owned_by": "maestro"} for i in ids]
        if sixg is not None:  # the prompt its weights were trained with: clients ask with it
            data[1]["prompt"] = sixg.prompt
        return {"object": "list", "data": data}

    @app.get("/health")
    async def health() -> Response:
        alive = chat.process.poll() is None
        if alive:
            status = "ok"
        elif chat.state.startswith("failed"):
            status = chat.state
        else:
            status = f"degraded: restarting {chat.kind}"
        body = {"status": status, "chat_backend": chat.kind, "slots": chat.slots, "restarts": len(chat.restarts)}
        body[sixg_alias] = sixg is not None
        return JSONResponse(body, status_code=200 if alive else 503)

    @app.get("/metrics")
    async def prometheus() -> PlainTextResponse:
        backend = ""
        if chat.kind == "llama-server":
            try:
                backend = (await client.get("/metrics")).text
            except httpx.HTTPError:
                backend = ""
        return PlainTextResponse(backend + metrics.text(), media_type="text/plain; version=0.0.4")

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> Response:
        started = time.perf_counter()
        raw = await request.body()
        try:
            body = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            return openai_error(400, f"the body is not JSON: {err}")
        if not isinstance(body, dict):
            return openai_error(400, "the body must be a JSON object")
        if sixg is not None and body.get("model") == sixg_alias:
            response = await answer_sixg(body)
            metrics.observe("sixg", str(response.status_code), time.perf_counter() - started)
            return response
        if chat.process.poll() is not None:
            metrics.observe("chat", "503", time.perf_counter() - started)
            state = chat.state if chat.state.startswith("failed") else "restarting"
            return openai_error(503, f"the chat backend ({chat.kind}) is not running ({state})", "server_error")
        upstream = client.build_request(
            "POST", "/v1/chat/completions", content=raw, headers={"content-type": "application/json"}
        )
        try:
            answer = await client.send(upstream, stream=True)
        except httpx.HTTPError as err:
            metrics.observe("chat", "502", time.perf_counter() - started)
            return openai_error(502, f"the chat backend ({chat.kind}) did not answer: {err}", "server_error")
        metrics.observe("chat", str(answer.status_code), time.perf_counter() - started)
        headers = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP}
        return StreamingResponse(
            answer.aiter_raw(),
            status_code=answer.status_code,
            headers=headers,
            background=BackgroundTask(answer.aclose),
        )

    async def answer_sixg(body: dict[str, Any]) -> Response:
        from sixg import RequestError

        assert sixg is not None
        try:
            messages, schema, max_tokens, temperature, seed = sixg_request(body)
            answer = await run_in_threadpool(
                sixg.complete, messages, schema, max_tokens=max_tokens, temperature=temperature, seed=seed
            )
        except (ValueError, RequestError) as err:
            return openai_error(400, str(err))
        return JSONResponse(
            {
                "id": f"chatcmpl-sixg-{time.time_ns()}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": sixg_alias,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": answer.text},
                        "finish_reason": answer.finish_reason,
                    }
                ],
                "usage": {
                    "prompt_tokens": answer.prompt_tokens,
                    "completion_tokens": answer.completion_tokens,
                    "total_tokens": answer.prompt_tokens + answer.completion_tokens,
                },
            }
        )

    return app
