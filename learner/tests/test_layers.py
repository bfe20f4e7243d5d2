"""The package's layering: imports between its jobs run one way, and serving never reaches training.

Every `import` of the package's own modules is read from the source with `ast`, at any depth (an
import inside a function is as much a dependency as one at the top: hiding one there is how the old
train <-> domain_sft cycle went unnoticed). A module belongs to its subpackage (`training`,
`serving`, ...); a module at the package root is its own unit (`chat`, `worker`, ...).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import sixg_learner

PACKAGE = Path(sixg_learner.__file__).parent

ALLOWED: dict[str, set[str]] = {
    # shared plumbing at the package root, below every job
    "files": set(),
    "chat": {"files"},
    "errors": set(),
    # the jobs, bottom to top
    "tasks": {"chat"},
    "generation": {"tasks", "chat"},
    "export": {"generation", "tasks", "files"},
    "training": {"tasks", "generation", "export", "files", "chat", "errors"},
    "evaluation": {"tasks", "generation", "training", "export", "files", "chat", "serving"},
    "serving": {"tasks", "generation", "chat", "errors"},
    # the process hosting the jobs' activities, and its TypeScript contract
    "worker": {"training", "serving"},
    "contract": {"tasks", "training", "serving"},
}
"""What each unit may import (besides itself): the layering of learner/README.md, checked below."""


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name (`sixg_learner.training.train`)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def unit(module: str) -> str:
    """`sixg_learner.training.train` → `training`; `sixg_learner.chat` → `chat`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def imports() -> Iterator[tuple[str, str, int]]:
    """(importing module, imported module of the package, line) for every import, top-level or not."""
    known = modules()
    for name, path in known.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join(anchor + ([node.module] if node.module else []))
                # `from sixg_learner.serving import activities` imports the module, not a name of the package
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
            else:
                continue
            for target in targets:
                if target == "sixg_learner" or target.startswith("sixg_learner."):
                    yield name, target, node.lineno


def dependencies() -> dict[tuple[str, str], list[str]]:
    """(unit, unit it imports) → where (module:line), for imports across units."""
    edges: dict[tuple[str, str], list[str]] = {}
    for importer, imported, line in imports():
        if unit(importer) != unit(imported):
            edges.setdefault((unit(importer), unit(imported)), []).append(f"{importer}:{line}")
    return edges


def find_cycle(edges: set[tuple[str, str]]) -> list[str] | None:
    """A cycle of the directed graph as [a, b, ..., a], or None."""
    graph: dict[str, list[str]] = {}
    for a, b in sorted(edges):
        graph.setdefault(a, []).append(b)
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)) is not None:
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)) is not None:
            return cycle
    return None


def test_the_walk_sees_imports_inside_functions_and_every_unit() -> None:
    found = list(imports())
    assert ("sixg_learner.evaluation.evaluate", "sixg_learner.training.checkpoints") in {(a, b) for a, b, _ in found}
    assert {unit(name) for name in modules()} - {"sixg_learner"} == set(ALLOWED), "a unit missing from ALLOWED"


def test_no_import_cycle_between_units() -> None:
    edges = dependencies()
    cycle = find_cycle(set(edges))
    assert cycle is None, (
        "import cycle: "
        + " -> ".join(cycle)
        + " ("
        + "; ".join(f"{a} -> {b} at {edges[(a, b)][0]}" for a, b in zip(cycle, cycle[1:], strict=False))
        + ")"
    )


def test_serving_imports_nothing_of_training_or_evaluation() -> None:
    edges = dependencies()
    offending = {
        f"serving -> {b}": edges[("serving", b)] for b in ("training", "evaluation") if ("serving", b) in edges
    }
    assert not offending, offending


def test_every_import_between_units_follows_the_layering() -> None:
    unexpected = {
        f"{a} -> {b}": where for (a, b), where in sorted(dependencies().items()) if b not in ALLOWED.get(a, set())
    }
    assert not unexpected, f"imports the layering does not allow (change the code, or ALLOWED on purpose): {unexpected}"


def test_the_cycle_finder_finds_cycles() -> None:
    assert find_cycle({("a", "b"), ("b", "c")}) is None
    assert find_cycle({("a", "b"), ("b", "c"), ("c", "a")}) == ["a", "b", "c", "a"]


def test_answering_an_orchestration_request_loads_no_torch() -> None:
    """Serving's modules import without torch (or transformers): a request never loads the training stack."""
    code = (
        "import sys\n"
        "import sixg_learner.serving.activities, sixg_learner.serving.orchestrate\n"
        "heavy = sorted(m for m in ('torch', 'transformers', 'peft') if m in sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
