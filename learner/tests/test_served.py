"""A served model is asked with the prompt its server lists for it: a trained model as it was trained."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from sixg_learner.chat import SIXG_MODEL_ID, served_prompt
from sixg_learner.generation.served import OpenAIGenerator

from examples import VIDEO_CALL_TASK


class _Server(BaseHTTPRequestHandler):
    listed: list[dict[str, Any]] = []
    asked: list[dict[str, Any]] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self._answer({"object": "list", "data": _Server.listed})

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        _Server.asked.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self._answer({"choices": [{"message": {"content": "{}"}, "finish_reason": "stop"}]})

    def _answer(self, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    _Server.listed, _Server.asked = [], []
    httpd = HTTPServer(("127.0.0.1", 0), _Server)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_the_prompt_is_the_one_the_server_lists_with_the_model(server: str) -> None:
    _Server.listed = [{"id": "base"}, {"id": SIXG_MODEL_ID, "prompt": "link-budget"}]
    assert served_prompt(server, SIXG_MODEL_ID) == "link-budget"
    assert served_prompt(server, "base") == "plain", "a model listed without one: the plain prompt"
    assert served_prompt(server, "absent") == "plain"
    assert served_prompt("http://127.0.0.1:9/v1", SIXG_MODEL_ID, timeout_s=0.5) == "plain", "no server"

    OpenAIGenerator(server, SIXG_MODEL_ID)(VIDEO_CALL_TASK)
    OpenAIGenerator(server, "base")(VIDEO_CALL_TASK)
    OpenAIGenerator(server, SIXG_MODEL_ID, prompt="plain")(VIDEO_CALL_TASK)  # the caller's choice wins
    budget_lines = ["Link budget:" in body["messages"][1]["content"] for body in _Server.asked]
    assert budget_lines == [True, False, False]


def test_a_prompt_this_learner_does_not_know_is_an_error_not_a_guess(server: str) -> None:
    _Server.listed = [{"id": SIXG_MODEL_ID, "prompt": "chain-of-thought"}]
    with pytest.raises(ValueError, match="trained with the prompt 'chain-of-thought'"):
        OpenAIGenerator(server, SIXG_MODEL_ID)(VIDEO_CALL_TASK)
    assert not _Server.asked
