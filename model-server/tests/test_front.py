"""The model server's front: routing by model name, the proxy to the chat backend, the 6G-LLM's request checks.

The chat backend here is a small HTTP server standing in for llama-server, and the 6G-LLM a recorder of
its calls: this tests the front alone (learner/tests/test_export_gguf.py runs the real decoder).
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from front import create_app, sixg_request  # noqa: E402
from sixg import RequestError, SixgAnswer  # noqa: E402


class _Backend(BaseHTTPRequestHandler):
    bodies: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Backend.bodies.append(body)
        status = 400 if body.get("max_tokens") == -1 else 200
        payload = json.dumps({"choices": [{"message": {"content": "{}"}}], "echo": body["model"]}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@dataclass
class _Process:
    returncode: int | None = None

    def poll(self) -> int | None:
        return self.returncode


@dataclass
class _Chat:
    base_url: str
    kind: str = "llama-server"
    slots: int = 4
    process: _Process = field(default_factory=_Process)
    state: str = "ok"
    restarts: list[float] = field(default_factory=list)


@dataclass
class _Sixg:
    prompt: str = "plain"
    calls: list[tuple[list[dict[str, str]], dict[str, Any] | None, dict[str, Any]]] = field(default_factory=list)

    def complete(self, messages: list[dict[str, str]], schema: dict[str, Any] | None, **kw: object) -> SixgAnswer:
        if schema is not None and "bad" in schema:
            raise RequestError("response_format schema: not the answer's")
        self.calls.append((messages, schema, kw))
        return SixgAnswer('{"mcs_index":3}', 10, 5, "stop", 0.01)


@pytest.fixture
def backend() -> Iterator[str]:
    _Backend.bodies = []
    server = HTTPServer(("127.0.0.1", 0), _Backend)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _client(backend: str, sixg: _Sixg | None = None, chat: _Chat | None = None) -> TestClient:
    app = create_app(chat or _Chat(backend), "base", sixg, "sixg-llm", encoder=None)  # type: ignore[arg-type]
    return TestClient(app)


MESSAGES = [{"role": "user", "content": "hi"}]


def test_models_lists_what_is_served(backend: str) -> None:
    ids = [m["id"] for m in _client(backend, _Sixg()).get("/v1/models").json()["data"]]
    assert ids == ["base", "sixg-llm", "all-minilm-l6-v2"]
    assert "sixg-llm" not in [m["id"] for m in _client(backend).get("/v1/models").json()["data"]]
    # the 6G-LLM's entry says which prompt its weights were trained with, so clients ask it that way
    listed = _client(backend, _Sixg(prompt="link-budget")).get("/v1/models").json()["data"]
    assert [m.get("prompt") for m in listed] == [None, "link-budget", None]


def test_chat_goes_to_the_backend_unchanged_and_its_status_comes_back(backend: str) -> None:
    client, sixg = _client(backend, _Sixg()), _Sixg()
    body = {"model": "base", "messages": MESSAGES, "max_tokens": 8, "response_format": {"type": "json_object"}}
    answer = client.post("/v1/chat/completions", json=body)
    assert answer.status_code == 200 and answer.json()["echo"] == "base" and _Backend.bodies == [body]
    assert client.post("/v1/chat/completions", json={**body, "max_tokens": -1}).status_code == 400
    assert not sixg.calls


def test_the_6g_llm_is_decoded_here_with_the_requests_schema(backend: str) -> None:
    sixg = _Sixg()
    schema = {"type": "object", "properties": {}}
    body = {"model": "sixg-llm", "messages": MESSAGES, "max_tokens": 64, "temperature": 0, "seed": 3}
    for fmt in ({"type": "json_object", "schema": schema}, {"type": "json_schema", "json_schema": {"schema": schema}}):
        answer = _client(backend, sixg).post("/v1/chat/completions", json={**body, "response_format": fmt})
        assert answer.status_code == 200, answer.text
        assert answer.json()["choices"][0]["message"]["content"] == '{"mcs_index":3}'
        assert answer.json()["usage"] == {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
    assert [c[1] for c in sixg.calls] == [schema, schema] and not _Backend.bodies
    assert sixg.calls[0][2] == {"max_tokens": 64, "temperature": 0.0, "seed": 3}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "user"}]}, "content"),
        ({"stream": True}, "stream"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"max_tokens": True}, "max_tokens"),
        ({"temperature": 3}, "temperature"),
        ({"seed": "x"}, "seed"),
        ({"response_format": {"type": "json_object", "schema": {"bad": 1}}}, "not the answer's"),
    ],
)
def test_a_malformed_6g_llm_request_is_a_400_that_says_why(backend: str, change: dict[str, Any], message: str) -> None:
    body = {"model": "sixg-llm", "messages": MESSAGES, **change}
    answer = _client(backend, _Sixg()).post("/v1/chat/completions", json=body)
    assert answer.status_code == 400 and message in answer.json()["error"]["message"]


def test_bad_json_and_a_dead_backend_are_clear_errors(backend: str) -> None:
    client = _client(backend)
    assert client.post("/v1/chat/completions", content=b"{nope").status_code == 400
    dead = _Chat(backend, process=_Process(returncode=-9))
    client = _client(backend, chat=dead)
    answer = client.post("/v1/chat/completions", json={"model": "base", "messages": MESSAGES})
    assert answer.status_code == 503 and "not running" in answer.json()["error"]["message"]
    health = client.get("/health")
    assert health.status_code == 503 and health.json()["status"] == "degraded: restarting llama-server"


def test_sixg_request_defaults() -> None:
    messages, schema, max_tokens, temperature, seed = sixg_request({"messages": MESSAGES})
    assert (messages, schema, max_tokens, temperature, seed) == (MESSAGES, None, 256, 1.0, None)


def test_a_crashed_backend_is_restarted_with_backoff_and_given_up_on_when_it_keeps_crashing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """supervise() on a real child process: `sleep` stands in for llama-server, a 0.05 s one 'crashes'."""
    from backends import ChatBackend, RestartPolicy, supervise

    log = tmp_path / "backend.log"
    backend = ChatBackend("llama-server", "http://127.0.0.1:9", None, 1, [], log, ["sleep", "0.05"])  # type: ignore[arg-type]
    backend.spawn()
    ready: list[int] = []

    def fake_ready(b: ChatBackend, timeout_s: float = 0) -> None:
        ready.append(b.process.pid)

    import backends

    monkeypatch.setattr(backends, "wait_ready", fake_ready)  # the stand-in answers no HTTP
    supervise(backend, RestartPolicy(first_delay_s=0.01, max_delay_s=0.05, max_restarts=3, window_s=60))
    assert len(backend.restarts) == 3 and len(set(ready)) == 3  # three new processes, then it gave up
    assert backend.state.startswith("failed: llama-server exited 4 times")
    assert RestartPolicy().delay(0) == 1.0 and RestartPolicy().delay(3) == 8.0 and RestartPolicy().delay(9) == 30.0


def test_the_served_prompt_is_the_promotion_records_for_that_gguf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import serve

    monkeypatch.setattr(serve, "REPO_ROOT", tmp_path)
    gguf = tmp_path / "data/models/promoted.gguf"
    gguf.parent.mkdir(parents=True)
    gguf.write_bytes(b"GGUF")
    record = tmp_path / serve.PROMOTED_RECORD
    assert serve.promoted_prompt(gguf) == "plain", "no record"
    record.write_text(json.dumps({"gguf": "data/models/promoted.gguf"}))
    assert serve.promoted_prompt(gguf) == "plain", "a record from before the link-budget prompt"
    record.write_text(json.dumps({"gguf": "data/models/promoted.gguf", "prompt": "link-budget"}))
    assert serve.promoted_prompt(gguf) == "link-budget"
    other = tmp_path / "other.gguf"
    other.write_bytes(b"GGUF")
    assert serve.promoted_prompt(other) == "plain", "the record speaks for its own file only"
