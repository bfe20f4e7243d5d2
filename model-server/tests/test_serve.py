"""Which chat model the server serves: the trained negotiator when installed, the base one setting away."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import serve  # noqa: E402


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(serve, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(serve, "find_packaged_file", lambda distribution, suffix: tmp_path / "packaged.gguf")
    for name in (serve.NEGOTIATOR_ENV, serve.CHAT_GGUF_ENV, serve.CHAT_ALIAS_ENV):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_base_model_until_a_negotiator_is_installed(repo: Path) -> None:
    assert serve.chat_gguf() == repo / "packaged.gguf"
    assert serve.chat_alias() == serve.CHAT_MODEL_ALIAS


def test_installed_negotiator_is_the_default_and_base_is_one_setting_away(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the default is the split negotiator (session 31); the rule's student is installed but not chosen
    (repo / serve.NEGOTIATOR_GGUF).parent.mkdir(parents=True)
    (repo / serve.NEGOTIATOR_GGUF).write_bytes(b"GGUF")
    assert serve.chat_gguf() == repo / "packaged.gguf", "the default one is not installed: the base model answers"
    gguf = repo / serve.NEGOTIATORS["split"][0]
    gguf.write_bytes(b"GGUF")
    assert serve.chat_gguf() == gguf
    assert serve.chat_alias() == "maestro-negotiator-split"
    monkeypatch.setenv(serve.NEGOTIATOR_ENV, "weighted")
    assert serve.chat_gguf() == repo / "packaged.gguf", "weighted is chosen but not installed: the base model answers"
    monkeypatch.setenv(serve.NEGOTIATOR_ENV, "trained")
    assert serve.chat_gguf() == repo / serve.NEGOTIATOR_GGUF
    assert serve.chat_alias() == "maestro-negotiator"
    monkeypatch.setenv(serve.NEGOTIATOR_ENV, "base")
    assert serve.chat_gguf() == repo / "packaged.gguf"
    assert serve.chat_alias() == serve.CHAT_MODEL_ALIAS
    monkeypatch.setenv(serve.NEGOTIATOR_ENV, "trainee")
    with pytest.raises(ValueError, match="trained, persona, weighted, split or base"):
        serve.chat_gguf()


def test_the_persona_negotiator_is_served_when_asked_for_and_installed(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(serve.NEGOTIATOR_ENV, "persona")
    assert serve.chat_gguf() == repo / "packaged.gguf", "not installed: the base model answers"
    gguf = repo / serve.NEGOTIATORS["persona"][0]
    gguf.parent.mkdir(parents=True)
    gguf.write_bytes(b"GGUF")
    assert serve.chat_gguf() == gguf
    assert serve.chat_alias() == "maestro-negotiator-persona"


def test_a_named_gguf_wins(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = repo / "other-model.gguf"
    other.write_bytes(b"GGUF")
    monkeypatch.setenv(serve.CHAT_GGUF_ENV, str(other))
    assert serve.chat_gguf() == other
    assert serve.chat_alias() == "other-model"


def test_greedy_6g_llm_decoding_is_token_level_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(serve.SIXG_DECODING_ENV, raising=False)
    assert serve.sixg_decoding() == "token"
    monkeypatch.setenv(serve.SIXG_DECODING_ENV, "value")
    assert serve.sixg_decoding() == "value"
    monkeypatch.setenv(serve.SIXG_DECODING_ENV, "beam")
    with pytest.raises(ValueError, match="expected one of token, value"):
        serve.sixg_decoding()
