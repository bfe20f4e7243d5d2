"""Results cached by configuration, in a SQLite file that survives restarts.

The key is the plan's content hash plus how it was evaluated (fidelity, slots, seed): the same
plan evaluated the same way is never simulated twice. Hits and misses are counted per process.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from .orchestration import TwinResult


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0


class ResultCache:
    def __init__(self, path: Path | None) -> None:
        """`path=None` keeps the cache in memory (tests, one-off CLI runs)."""
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path) if path else ":memory:", check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, result TEXT NOT NULL)")
        self._lock = threading.Lock()
        self.stats = CacheStats()

    def get(self, key: str) -> TwinResult | None:
        with self._lock:
            row = self._db.execute("SELECT result FROM results WHERE key = ?", (key,)).fetchone()
        if row is None:
            self.stats.misses += 1
            return None
        self.stats.hits += 1
        return TwinResult.model_validate_json(row[0]).model_copy(update={"cache_hit": True})

    def put(self, key: str, result: TwinResult) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO results (key, result) VALUES (?, ?)", (key, result.model_dump_json())
            )
            self._db.commit()

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM results").fetchone()[0])
