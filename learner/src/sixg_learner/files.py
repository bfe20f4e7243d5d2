"""Where the repository is, and writing a folder so that readers never see it half-written."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


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
