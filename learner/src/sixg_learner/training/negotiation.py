"""PPO on the negotiator (issue 15, item 3): the 6G-LLM's PPO iteration (`rl.ppo_iteration`, eqs. 3–9, token
weights included) on negotiation turns instead of twin tasks.

    python -m sixg_learner.training.negotiation --turns F --init DIR --out DIR [--dev-turns F --steps N ...]

The environment is TypeScript (`negotiator/turn-env.ts`): `npm run negotiator:turns` writes the turns of
recorded games as tasks, and `negotiator/turn-reward-server.ts`, started once per run, scores each answer as
the workflow's rules would have ended the game (the reward R = D + ½Q + ½v of turn-env.ts). Here are only the
adapters between that environment and the learner:

1. `NegotiationTurn`: a task line, its chat messages through the model's chat template (`turn_prompts`);
2. `TurnScorer`: the learner's `Scorer` (score a batch, and `text_reward` for eq. (4)'s perturbations) over
   the server's pipe, one JSON line per answer;
3. `main`: the policy from a shipped negotiator (`learner/models/negotiator-weighted`), a PPO checkpoint to
   resume, or an HF folder, then `train.run_ppo` as for the 6G-LLM: a checkpoint every `save_every` steps,
   greedy answers on the dev turns every `dev_every` steps (`dev/completion`: the share of dev turns whose
   ending is at least as near the optimum as the three-round teacher's), `<out>/metrics.jsonl` and a progress
   line per step. Unconstrained: the answer is the service-intent JSON, not the orchestration grammar.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import torch

from sixg_learner.tasks.scoring import Score

# The negotiator's PPO defaults where they differ from the 6G-LLM's (`args.PpoArgs`): a turn's answer is a
# one-sentence JSON of ~30 tokens, unconstrained; a step of 4 turns × 8 answers took 31–35 s on 2 cores.
# The critic trains its head alone (`critic_backbone` 0): through the shared adapters its value loss (rewards
# near 1.2, a critic starting at 0) pulled the policy off its answers in two warm-up steps.
NEGOTIATION_DEFAULTS: dict[str, Any] = {
    "constrained": 0,
    "max_new_tokens": 64,
    "tasks_per_step": 4,
    "k": 8,
    "minibatch_size": 8,
    "microbatch_size": 4,
    "steps": 30,
    "save_every": 5,
    "dev_every": 10,
    "tw_max_answers": 4,
    "tw_perturbations": 2,
    "critic_backbone": 0,
    "critic_warmup_steps": 5,
}


@dataclass(frozen=True)
class NegotiationTurn:
    """One task line of `npm run negotiator:turns` (negotiator/turn-env.ts `turnTaskSchema`)."""

    id: str
    messages: tuple[dict[str, str], ...]
    agent: str
    round: int
    personality: str
    record: dict[str, Any] = field(repr=False, compare=False, hash=False)

    @classmethod
    def parse(cls, record: dict[str, Any]) -> NegotiationTurn:
        try:
            messages = tuple({"role": m["role"], "content": m["content"]} for m in record["messages"])
            return cls(
                id=str(record["id"]),
                messages=messages,
                agent=str(record["agent"]),
                round=int(record["round"]),
                personality=str(record["personality"]),
                record=record,
            )
        except (KeyError, TypeError) as err:
            raise ValueError(f"not a negotiation turn task: missing or malformed {err}") from err


def load_turns(path: Path) -> list[NegotiationTurn]:
    turns = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if line.strip():
            try:
                turns.append(NegotiationTurn.parse(json.loads(line)))
            except (ValueError, json.JSONDecodeError) as err:
                raise ValueError(f"{path}:{number}: {err}") from err
    if not turns:
        raise ValueError(f"{path} holds no turn")
    return turns


def turn_prompts(turns: Sequence[NegotiationTurn], tokenizer: Any) -> list[str]:  # noqa: ANN401 - a HF tokenizer
    """Each turn's chat through the chat template, as the negotiator's SFT (`domain_sft`) and `sample` read it."""
    return [
        tokenizer.apply_chat_template(list(turn.messages), tokenize=False, add_generation_prompt=True) for turn in turns
    ]


def project_root() -> Path:
    """The repository (where package.json is), from this file: the learner lives in `learner/src/`."""
    return Path(__file__).resolve().parents[4]


def node_binary(root: Path) -> str:
    """The project's Node (`.tools/bin/node`, Node 24: type stripping), else the one on PATH."""
    bundled = root / ".tools" / "bin" / "node"
    found = str(bundled) if bundled.is_file() else shutil.which("node")
    if found is None:
        raise RuntimeError("no node to run negotiator/turn-reward-server.ts: run scripts/bootstrap.sh")
    return found


class TurnScorer:
    """The learner's `Scorer` over negotiator/turn-reward-server.ts (module docstring, step 2)."""

    def __init__(self, task_files: Sequence[Path], root: Path | None = None) -> None:
        root = root or project_root()
        tasks = [arg for f in task_files for arg in ("--tasks", str(Path(f).resolve()))]
        self._process = subprocess.Popen(
            [node_binary(root), str(root / "negotiator" / "turn-reward-server.ts"), *tasks],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=root,
        )
        self.calls = 0

    def _pipes(self) -> tuple[TextIO, TextIO]:
        assert self._process.stdin is not None and self._process.stdout is not None
        return self._process.stdin, self._process.stdout

    def rewards(self, turns: Sequence[NegotiationTurn], texts: Sequence[str]) -> list[dict[str, Any]]:
        """The server's full answer per (turn, text): reward, validity, the ending and its error to the optimum."""
        if len(turns) != len(texts):
            raise ValueError(f"{len(turns)} turns but {len(texts)} answers")
        stdin, stdout = self._pipes()
        for turn, text in zip(turns, texts, strict=True):
            stdin.write(json.dumps({"id": turn.id, "text": text}) + "\n")
        stdin.flush()
        answers = []
        for _ in texts:
            line = stdout.readline()
            if not line:
                raise RuntimeError(f"the turn reward server stopped (exit code {self._process.poll()})")
            answer = json.loads(line)
            if "error" in answer:
                raise ValueError(f"turn reward server: {answer['error']}")
            answers.append(answer)
        self.calls += len(texts)
        return answers

    def score(self, tasks: Sequence[NegotiationTurn], texts: Sequence[str]) -> list[Score]:
        return [
            Score(reward=float(a["reward"]), satisfied=bool(a["satisfied"]), valid=bool(a["valid"]))
            for a in self.rewards(tasks, texts)
        ]

    def text_reward(self, task: NegotiationTurn, text: str) -> float:
        return self.score([task], [text])[0].reward

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        self._process.wait(timeout=10)

    def __enter__(self) -> TurnScorer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def build_parser() -> argparse.ArgumentParser:
    from sixg_learner.training.args import PpoArgs, add_dataclass_arguments

    parser = argparse.ArgumentParser(
        prog="python -m sixg_learner.training.negotiation", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--turns", type=Path, required=True, help="turn tasks (npm run negotiator:turns)")
    parser.add_argument("--dev-turns", type=Path, default=None, help="turn tasks of other games, never trained on")
    parser.add_argument(
        "--init", type=Path, required=True, help="a shipped negotiator, a PPO checkpoint to resume, or an HF folder"
    )
    parser.add_argument("--out", type=Path, required=True, help="folder for checkpoints and metrics.jsonl")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    add_dataclass_arguments(parser, PpoArgs)
    parser.set_defaults(**NEGOTIATION_DEFAULTS)
    return parser


def main(argv: list[str] | None = None) -> int:
    from sixg_learner.generation.policy import LoraSettings
    from sixg_learner.training.args import PpoArgs
    from sixg_learner.training.train import RunContext, progress_line, run_ppo, start_from
    from sixg_learner.training.updates import make_optimizer

    cli = build_parser().parse_args(argv)
    args = PpoArgs(**{f: getattr(cli, f) for f in PpoArgs.__dataclass_fields__})
    if args.constrained:
        raise SystemExit("the negotiator's answer has no grammar here: run with --constrained 0")
    if cli.threads is not None:
        torch.set_num_threads(cli.threads)
    turns = load_turns(cli.turns)
    begun = start_from(cli.init, "ppo", LoraSettings(r=args.lora_r, alpha=args.lora_alpha))
    policy, start = begun.policy, begun.step
    optimizer = make_optimizer(policy, args.learning_rate)
    if begun.optimizer_state is not None:
        optimizer.load_state_dict(begun.optimizer_state)
    task_files = [cli.turns] if cli.dev_turns is None else [cli.turns, cli.dev_turns]
    with TurnScorer(task_files) as scorer:
        ctx = RunContext(
            tasks=turns,  # type: ignore[arg-type] - the PPO iteration reads tasks only through the scorer
            prompts=turn_prompts(turns, policy.tokenizer),
            scorer=scorer,  # type: ignore[arg-type]
            out_dir=cli.out,
            dataset=cli.turns,
            dataset_sha256=hashlib.sha256(cli.turns.read_bytes()).hexdigest(),
            log=lambda metrics: print(progress_line(metrics), flush=True),
            max_new_tokens=args.max_new_tokens,
            constrained=False,
        )
        if cli.dev_turns is not None:
            dev = load_turns(cli.dev_turns)
            ctx.dev_tasks, ctx.dev_prompts = dev, turn_prompts(dev, policy.tokenizer)  # type: ignore[assignment]
        print(f"ppo (negotiator): {len(turns)} turns, from {cli.init}, steps {start}..{args.steps}", flush=True)
        history = run_ppo(policy, optimizer, ctx, args, start, begun.parent)
    saved = [m["checkpoint"] for m in history if "checkpoint" in m]
    print(json.dumps({"steps": len(history), "last_checkpoint": saved[-1] if saved else None}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
