"""The chat backend behind the model server's front: a child process on a private port.

Two kinds, one contract (an OpenAI-compatible `/v1/chat/completions` for the base chat model):

- ``llama-server``: llama.cpp's own HTTP server, built at setup from the sources the llama-cpp-python
  sdist vendors (scripts/build-llama-server.sh). Parallel decoding slots with continuous batching, a
  prompt cache per slot, `json_schema` response formats, Prometheus metrics. Parallel agent turns are
  decoded together instead of queueing.
- ``llama-cpp-python``: llama-cpp-python's server (the one maestro used first): one request at a time.
  Kept one setting away (`MAESTRO_CHAT_BACKEND`) and as the baseline of `npm run bench:serving`.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

PR_SET_PDEATHSIG = 1
BackendKind = Literal["llama-server", "llama-cpp-python"]
BACKEND_ENV = "MAESTRO_CHAT_BACKEND"
LLAMA_SERVER_ENV = "MAESTRO_LLAMA_SERVER"
SLOTS_ENV = "MAESTRO_MODEL_SLOTS"
REPO_ROOT = Path(__file__).resolve().parents[1]
BUILT_LLAMA_SERVER = REPO_ROOT / ".tools" / "llama-server" / "bin" / "llama-server"


def llama_server_binary() -> Path | None:
    """`$MAESTRO_LLAMA_SERVER`, else the one scripts/build-llama-server.sh built, else None."""
    configured = os.environ.get(LLAMA_SERVER_ENV)
    path = Path(configured) if configured else BUILT_LLAMA_SERVER
    return path if path.is_file() and os.access(path, os.X_OK) else None


def default_kind() -> BackendKind:
    """`$MAESTRO_CHAT_BACKEND` if set, else llama-server when it was built, else llama-cpp-python."""
    configured = os.environ.get(BACKEND_ENV)
    if configured in ("llama-server", "llama-cpp-python"):
        return configured  # type: ignore[return-value]
    if configured:
        raise ValueError(f"{BACKEND_ENV}={configured!r}: expected llama-server or llama-cpp-python")
    return "llama-server" if llama_server_binary() is not None else "llama-cpp-python"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ChatBackend:
    """A started backend: where it answers, and the process to stop."""

    kind: BackendKind
    base_url: str
    process: subprocess.Popen[bytes]
    slots: int
    cleanup: list[Path] = field(default_factory=list)
    log: Path | None = None
    args: list[str] = field(default_factory=list)
    """The command line, to start it again on the same port after a crash."""
    restarts: list[float] = field(default_factory=list)
    """When it was restarted (monotonic seconds)."""
    state: str = "ok"
    """ok, restarting, or failed: what /health reports."""

    def spawn(self) -> None:
        assert self.log is not None
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(
                self.args, stdout=sink, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
            )

    def log_tail(self, chars: int = 2000) -> str:
        if self.log is None or not self.log.is_file():
            return ""
        return self.log.read_bytes()[-chars:].decode(errors="replace")

    def stop(self, timeout_s: float = 10.0) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for path in self.cleanup:
            path.unlink(missing_ok=True)


def llama_server_args(
    binary: Path, gguf: Path, alias: str, port: int, threads: int, slots: int, context_tokens: int
) -> list[str]:
    """llama-server's command line: `slots` parallel sequences, each with `context_tokens` of context."""
    return [
        str(binary),
        "--model",
        str(gguf),
        "--alias",
        alias,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--threads",
        str(threads),
        "--threads-batch",
        str(threads),
        # the context is split among the slots: each agent turn gets the window it had alone
        "--ctx-size",
        str(context_tokens * slots),
        "--parallel",
        str(slots),
        "--batch-size",
        "512",
        "--metrics",
        "--no-webui",
        "--jinja",
        "--log-disable",
    ]


def start_backend(
    kind: BackendKind, gguf: Path, alias: str, threads: int, slots: int, context_tokens: int
) -> ChatBackend:
    port = free_port()
    cleanup: list[Path] = []
    if kind == "llama-server":
        binary = llama_server_binary()
        if binary is None:
            raise FileNotFoundError(
                f"no llama-server binary (build it with scripts/build-llama-server.sh or set {LLAMA_SERVER_ENV})"
            )
        args = llama_server_args(binary, gguf, alias, port, threads, slots, context_tokens)
    else:
        slots = 1
        config = {
            "host": "127.0.0.1",
            "port": port,
            # its default cancels a streaming answer when the next request comes: queue it instead
            "interrupt_requests": False,
            "models": [
                {
                    "model": str(gguf),
                    "model_alias": alias,
                    "n_ctx": context_tokens,
                    "n_threads": threads,
                    "n_threads_batch": threads,
                    "n_batch": 512,
                    # the agents' system prompts repeat every round: keep evaluated prefixes in RAM
                    "cache": True,
                    "cache_type": "ram",
                    "cache_size": 512 * 1024 * 1024,
                    "verbose": False,
                }
            ],
        }
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(config, handle)
        cleanup.append(Path(handle.name))
        args = [sys.executable, "-m", "llama_cpp.server", "--config_file", handle.name]
    # its log goes to a file, not a pipe nobody reads (a full pipe would stall the backend)
    log = Path(tempfile.mkstemp(prefix=f"maestro-{kind}-", suffix=".log")[1])
    cleanup.append(log)
    backend = ChatBackend(kind, f"http://127.0.0.1:{port}", None, slots, cleanup, log, args)  # type: ignore[arg-type]
    backend.spawn()
    try:
        wait_ready(backend)
    except BaseException:
        backend.stop()
        raise
    return backend


@dataclass(frozen=True)
class RestartPolicy:
    """Exponential backoff between restarts; more than `max_restarts` within `window_s` is a failure."""

    first_delay_s: float = 1.0
    max_delay_s: float = 30.0
    max_restarts: int = 5
    window_s: float = 300.0

    def delay(self, recent: int) -> float:
        return min(self.max_delay_s, self.first_delay_s * 2**recent)


def supervise(
    backend: ChatBackend, policy: RestartPolicy = RestartPolicy(), stopping: threading.Event | None = None
) -> None:
    """Blocks (run it in a thread): restarts the backend on the same port whenever it exits, with backoff.

    The front keeps answering meanwhile (503 for chat, `degraded: restarting` on /health); after too many
    crashes in the window the backend stays down, `failed` says why, and the front exits non-zero so
    whatever supervises the model server sees it.
    """
    stopping = stopping or threading.Event()
    while not stopping.wait(0.5):
        if backend.process.poll() is None:
            continue
        now = time.monotonic()
        recent = [t for t in backend.restarts if now - t < policy.window_s]
        code = backend.process.returncode
        if len(recent) >= policy.max_restarts:
            backend.state = f"failed: {backend.kind} exited {len(recent) + 1} times in {policy.window_s:.0f} s"
            print(f"[model-server] {backend.state}; last exit {code}: {backend.log_tail(500)}", file=sys.stderr)
            return
        backend.state = "restarting"
        delay = policy.delay(len(recent))
        print(f"[model-server] {backend.kind} exited with {code}; restarting in {delay:.0f} s", file=sys.stderr)
        if stopping.wait(delay):
            return
        backend.restarts.append(time.monotonic())
        backend.spawn()
        try:
            wait_ready(backend)
            backend.state = "ok"
            print(f"[model-server] {backend.kind} is back on {backend.base_url}", file=sys.stderr, flush=True)
        except (RuntimeError, TimeoutError) as err:
            print(f"[model-server] {backend.kind} did not come back: {err}", file=sys.stderr)


def _die_with_parent() -> None:
    """In the child: SIGKILL when the front dies (uvicorn re-raises SIGTERM, so no `finally` runs), even by
    SIGKILL, so no backend outlives it (Linux prctl)."""
    if sys.platform.startswith("linux"):
        # SIGKILL, not SIGTERM: llama-server was seen to stay up after a SIGTERM, and it holds no state
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def wait_ready(backend: ChatBackend, timeout_s: float = 180.0) -> None:
    """Until `GET /v1/models` answers 200 (llama-server answers 503 while it loads)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if backend.process.poll() is not None:
            raise RuntimeError(
                f"{backend.kind} exited with {backend.process.returncode} while starting: {backend.log_tail()}"
            )
        try:
            with urllib.request.urlopen(f"{backend.base_url}/v1/models", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, TimeoutError, OSError):
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{backend.kind} did not answer on {backend.base_url} within {timeout_s:.0f} s")
