"""Where the repository is, what the promoted model's record says, and writing a folder so that readers never
see it half-written."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PROMOTED_FILE = Path("data/models/promoted.json")
"""The record of the model served as `sixg-llm` (written by `export.ship.install` or the pipeline's promotion)."""


def promoted_prompt(record_file: Path = PROMOTED_FILE) -> str:
    """The prompt (`tasks.prompting.PROMPTS`) the promoted model was trained with: "plain" when there is no
    record or the record predates the link-budget prompt."""
    if not record_file.is_file():
        return "plain"
    return str(json.loads(record_file.read_text()).get("prompt", "plain"))


def repository_root() -> Path:
    """maestro's checkout: this file is learner/src/sixg_learner/files.py (the one place that knows it)."""
    return Path(__file__).resolve().parents[3]


@contextmanager
def staged_directory(target: Path) -> Iterator[Path]:
    """Yields an empty folder beside `target`; on success it replaces `target`, on error it is removed.

    A model folder or a checkpoint is read by other processes (a server, a resumed run, the learner
    worker deciding whether a step is done): they see the old folder or the complete new one.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    staging.chmod(0o755)  # mkdtemp's 0700 would otherwise stay on target
    try:
        yield staging
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
