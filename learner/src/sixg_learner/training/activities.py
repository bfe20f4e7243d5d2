"""The training workflows' activities (task queue `learner`, hosted by `sixg_learner.worker`).

Each activity runs one unit of training as a child process of the same CLIs an engineer runs by
hand (`python -m sixg_learner.training.train …`, `python -m sixg_learner.evaluation.evaluate …`): one RS round, one PPO
step, one evaluation. That keeps a model's memory out of the long-lived worker and makes every
step reproducible from its command line. While the child runs, the activity heartbeats its last
progress line. A step whose checkpoint already exists is not run again: after a crash the retried
activity returns the checkpoint's recorded metrics (the workflow never repeats finished work).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from temporalio import activity
from temporalio.exceptions import ApplicationError

from sixg_learner.errors import invalid_input
from sixg_learner.export.ship import PROMOTED_FILE, PROMOTED_GGUF, PROMOTED_HF
from sixg_learner.training.checkpoints import CHECKPOINT_FILE, is_checkpoint

HEARTBEAT_S = 15.0


Phase = Literal["base", "sft", "distill", "rs", "ppo"]


class CheckpointRef(BaseModel):
    path: str
    step: int
    phase: Phase


class DomainFinetuneInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    data_file: str
    base: str
    out_dir: str
    epochs: int = Field(ge=1, le=20)
    limit: int | None = Field(default=None, ge=1)
    eval_size: int | None = Field(default=None, ge=0)
    """Pairs held out for the held-out loss; None: `SftArgs.eval_size` (declared there only)."""
    seed: int = 0
    learning_rate: float | None = Field(default=None, gt=0, lt=1, description="SFT learning rate; None: SftArgs'")


class DomainFinetuneResult(BaseModel):
    checkpoint: CheckpointRef
    first_loss: float | None
    last_loss: float | None
    seconds: float


class DistillInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tasks_file: str
    dev_tasks_file: str
    base: str
    out_dir: str
    epochs: int = Field(ge=1, le=20)
    seed: int = 0
    learning_rate: float | None = Field(default=None, gt=0, lt=1, description="SFT learning rate; None: DistillArgs'")
    targets: Literal["witness", "repair", "rule-repair", "lean-repair", "polish"] = Field(
        default="witness",
        description="witness: the grid's best plan; repair: the base's own answer where it meets the QoS, else "
        "its nearest repair; rule-repair: the same from the hand rule's plan; lean-repair: the same from the lean "
        "rule's plan; polish: as repair, every working "
        "answer trimmed by up to polish_moves climb moves on eq. (2)",
    )
    polish_moves: int = Field(
        default=2, ge=1, le=8, description="polish: the most edit-group moves a working answer is trimmed by"
    )
    target_margin_db: float = Field(
        default=0.0, ge=0, le=20, description="the targets must meet the QoS this many dB below the SNR too"
    )
    prompt: Literal["plain", "link-budget", "compact", "lean"] | None = Field(
        default=None,
        description="the prompt the model is trained with (link-budget: plus the task's link budget; compact: the "
        "same in at most 400 tokens; lean: compact, its budget line naming the leanest plan); null: the base's",
    )
    device: str = Field(
        default="cpu",
        pattern=r"^(cpu|cuda(:\d+)?)$",
        description="torch device of the training (cuda needs a GPU on the learner worker machine)",
    )


class DistillResult(BaseModel):
    checkpoint: CheckpointRef
    """The epoch with the best greedy completion on the dev tasks (what RS or PPO should start from)."""
    dev_completion: float | None
    dev_avg_score_completed: float | None
    first_loss: float | None
    last_loss: float | None
    seconds: float


class RsRoundInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tasks_file: str
    init: str
    out_dir: str
    round: int = Field(ge=1)
    k: int = Field(ge=1, le=64)
    seed: int = 0
    temperature: float | None = Field(default=None, gt=0, le=2, description="sampling temperature; None: RsArgs'")
    learning_rate: float | None = Field(default=None, gt=0, lt=1, description="SFT learning rate; None: RsArgs'")


class RsRoundResult(BaseModel):
    checkpoint: CheckpointRef
    success_rate: float
    kept: int
    sft_loss: float | None
    seconds: float


class PpoStepInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tasks_file: str
    init: str
    out_dir: str
    step: int = Field(ge=1)
    k: int = Field(ge=1, le=64)
    seed: int = 0
    ref_refresh_steps: int = Field(ge=1)
    temperature: float | None = Field(default=None, gt=0, le=2, description="sampling temperature; None: PpoArgs'")
    learning_rate: float | None = Field(default=None, gt=0, lt=1, description="AdamW learning rate; None: PpoArgs'")


class PpoStepResult(BaseModel):
    checkpoint: CheckpointRef
    mean_reward: float
    success_rate: float
    policy_loss: float
    value_loss: float
    entropy: float
    kl: float
    seconds: float


class EvaluationInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tasks_file: str
    model: str
    out: str


class EvaluationResult(BaseModel):
    model: str
    tasks: int
    completion_rate: float
    average_score_completed: float | None
    mean_reward: float
    report: str


class PromotionInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    checkpoint: str
    evaluation: EvaluationResult


class PromotionResult(BaseModel):
    promoted: bool
    current: str | None
    previous: str | None
    reason: str


def _loop_flags(temperature: float | None, learning_rate: float | None) -> list[str]:
    """train.py's flags for the settings a workflow chose; an unset one keeps the phase's default (one place)."""
    flags = [] if temperature is None else ["--temperature", str(temperature)]
    return flags + ([] if learning_rate is None else ["--learning-rate", str(learning_rate)])


async def _run_cli(args: list[str]) -> list[str]:
    """Runs `python -m …` and heartbeats its newest output line; a failure carries its last lines."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    lines: list[str] = []
    assert process.stdout is not None

    async def read() -> None:
        assert process.stdout is not None
        async for raw in process.stdout:
            lines.append(raw.decode(errors="replace").rstrip())

    reader = asyncio.create_task(read())
    try:
        while not reader.done():
            activity.heartbeat(lines[-1] if lines else "starting")
            await asyncio.wait({reader}, timeout=HEARTBEAT_S)
        code = await process.wait()
    except asyncio.CancelledError:
        process.kill()
        raise
    if code != 0:
        raise ApplicationError(f"{' '.join(args[:3])} exited with {code}: " + " | ".join(lines[-8:]))
    return lines


def _metrics_of(checkpoint_dir: Path) -> dict[str, Any]:
    return json.loads((checkpoint_dir / CHECKPOINT_FILE).read_text()).get("metrics") or {}


def _seconds(metrics: dict[str, Any]) -> float:
    return sum(float(v) for k, v in metrics.items() if k.startswith("time/"))


async def _train_unless_done(target: Path, tasks_file: str, train_args: list[str]) -> None:
    """Runs `python -m sixg_learner.training.train …` unless `target` already holds its checkpoint (a retried step)."""
    if is_checkpoint(target):
        return
    if not Path(tasks_file).is_file():
        raise invalid_input(f"no task file {tasks_file}")
    await _run_cli(["-m", "sixg_learner.training.train", *train_args, "--tasks", tasks_file])


@activity.defn(name="domain_finetune")
async def domain_finetune(inp: DomainFinetuneInput) -> DomainFinetuneResult:
    """The paper's phase 1 (domain_sft.py): LoRA instruction tuning of `inp.base` on telecom Q&A.

    Resumable like the other steps: `train sft` continues from the last `sft-epoch-N` of `out_dir`
    that exists, and an activity whose final epoch is on disk returns it without training.
    """
    out = Path(inp.out_dir)
    target = out / f"sft-epoch-{inp.epochs}"
    if not is_checkpoint(target):
        if not Path(inp.data_file).is_file():
            raise invalid_input(f"no Q&A file {inp.data_file} (python -m sixg_learner.training.domain_qa writes one)")
        done = [e for e in range(inp.epochs, 0, -1) if is_checkpoint(out / f"sft-epoch-{e}")]
        start = str(out / f"sft-epoch-{done[0]}") if done else inp.base
        args = ["-m", "sixg_learner.training.train", "sft", "--data", inp.data_file, "--base", start, "--out", str(out)]
        args += ["--epochs", str(inp.epochs), "--seed", str(inp.seed)]
        if inp.eval_size is not None:
            args += ["--eval-size", str(inp.eval_size)]
        if inp.limit is not None:
            args += ["--limit", str(inp.limit)]
        args += _loop_flags(None, inp.learning_rate)
        await _run_cli(args)
    if not is_checkpoint(target):
        raise ApplicationError(f"the domain step finished without writing {target}")
    m = _metrics_of(target)
    return DomainFinetuneResult(
        checkpoint=CheckpointRef(path=str(target), step=inp.epochs, phase="sft"),
        first_loss=m.get("losses/sft_first"),
        last_loss=m.get("losses/sft_last"),
        seconds=float(m.get("time/train_s", 0.0)),
    )


@activity.defn(name="twin_search_distill")
async def twin_search_distill(inp: DistillInput) -> DistillResult:
    """Twin-search distillation (distill.py): SFT of `inp.base` on the training tasks' targets (grid witnesses,
    repairs of the base's answers or of the hand rule's plans, `inp.targets`), with `inp.prompt` when set,
    the epoch chosen on the dev tasks. Resumable: `train
    distill` continues from the last `distill-epoch-N` of `out_dir`; an activity whose last epoch is on disk
    answers without training."""
    out = Path(inp.out_dir)
    target = out / f"distill-epoch-{inp.epochs}"
    if not is_checkpoint(target):
        for needed in (inp.tasks_file, inp.dev_tasks_file):
            if not Path(needed).is_file():
                raise invalid_input(f"no task file {needed}")
        done = [e for e in range(inp.epochs, 0, -1) if is_checkpoint(out / f"distill-epoch-{e}")]
        start = str(out / f"distill-epoch-{done[0]}") if done else inp.base
        args = ["-m", "sixg_learner.training.train", "distill", "--base", start, "--out", str(out)]
        args += ["--tasks", inp.tasks_file, "--dev-tasks", inp.dev_tasks_file]
        args += ["--epochs", str(inp.epochs), "--seed", str(inp.seed), *_loop_flags(None, inp.learning_rate)]
        args += ["--targets", inp.targets, "--target-margin-db", str(inp.target_margin_db)]
        if inp.targets == "polish":
            args += ["--polish-moves", str(inp.polish_moves)]
        if inp.prompt is not None:
            args += ["--prompt", inp.prompt]
        args += ["--device", inp.device]
        await _run_cli(args)
    if not is_checkpoint(target):
        raise ApplicationError(f"the distillation finished without writing {target}")
    best_record = out / "best.json"
    best = Path(json.loads(best_record.read_text())["checkpoint"]) if best_record.is_file() else target
    m, last = _metrics_of(best), _metrics_of(target)
    return DistillResult(
        checkpoint=CheckpointRef(
            path=str(best), step=json.loads((best / CHECKPOINT_FILE).read_text())["step"], phase="distill"
        ),  # fmt: skip
        dev_completion=m.get("dev/completion"),
        dev_avg_score_completed=m.get("dev/avg_score_completed"),
        first_loss=last.get("losses/sft_first"),
        last_loss=last.get("losses/sft_last"),
        seconds=sum(
            float(_metrics_of(out / f"distill-epoch-{e}").get("time/train_s", 0.0))
            for e in range(1, inp.epochs + 1)
            if is_checkpoint(out / f"distill-epoch-{e}")
        ),  # fmt: skip
    )


@activity.defn(name="rejection_sampling_round")
async def rejection_sampling_round(inp: RsRoundInput) -> RsRoundResult:
    """Round `inp.round` of Section III-B from `inp.init` (the base, or the previous round's checkpoint)."""
    target = Path(inp.out_dir) / f"rs-round-{inp.round}"
    # A round that trained nothing leaves no checkpoint, only its metrics row: that row marks it done too.
    measured = _last_metrics(Path(inp.out_dir) / "metrics.jsonl", "rs", inp.round)
    if not measured:
        train_args = ["rs", "--base", inp.init, "--out", inp.out_dir, "--rounds", str(inp.round)]
        train_args += ["--k", str(inp.k), "--seed", str(inp.seed), *_loop_flags(inp.temperature, inp.learning_rate)]
        await _train_unless_done(target, inp.tasks_file, train_args)
    if is_checkpoint(target):
        m = _metrics_of(target)
        ref = CheckpointRef(path=str(target), step=inp.round, phase="rs")
    else:
        # Nothing kept (or no better than before): the round trained nothing; its metrics are in the log.
        m = _last_metrics(Path(inp.out_dir) / "metrics.jsonl", "rs", inp.round)
        ref = CheckpointRef(path=inp.init, step=inp.round - 1, phase=_phase_of(Path(inp.init)))
    return RsRoundResult(
        checkpoint=ref,
        success_rate=float(m.get("charts/success_rate", 0.0)),
        kept=int(m.get("rs/kept", 0)),
        sft_loss=m.get("losses/sft_last_epoch"),
        seconds=_seconds(m),
    )


def _phase_of(model: Path) -> Phase:
    """A checkpoint's phase (checkpoint.json), or "base" for a plain model folder."""
    if not is_checkpoint(model):
        return "base"
    return json.loads((model / CHECKPOINT_FILE).read_text())["phase"]


def _last_metrics(log: Path, phase: str, step: int) -> dict[str, Any]:
    if not log.is_file():
        return {}
    found: dict[str, Any] = {}
    for line in log.read_text().splitlines():
        row = json.loads(line)
        if row.get("phase") == phase and row.get("step") == step:
            found = row
    return found


@activity.defn(name="ppo_step")
async def ppo_step(inp: PpoStepInput) -> PpoStepResult:
    """PPO iteration `inp.step` (Section III-C) from the previous checkpoint; a checkpoint after it."""
    target = Path(inp.out_dir) / f"ppo-step-{inp.step:06d}"
    await _train_unless_done(
        target,
        inp.tasks_file,
        [
            "ppo", "--init", inp.init, "--out", inp.out_dir, "--steps", str(inp.step), "--save-every", "1",
            "--k", str(inp.k), "--seed", str(inp.seed), "--ref-refresh-steps", str(inp.ref_refresh_steps),
            *_loop_flags(inp.temperature, inp.learning_rate),
        ],
    )  # fmt: skip
    if not is_checkpoint(target):
        raise ApplicationError(f"PPO step {inp.step} finished without writing {target}")
    m = _metrics_of(target)
    return PpoStepResult(
        checkpoint=CheckpointRef(path=str(target), step=inp.step, phase="ppo"),
        mean_reward=float(m.get("charts/mean_reward", 0.0)),
        success_rate=float(m.get("charts/success_rate", 0.0)),
        policy_loss=float(m.get("losses/policy", 0.0)),
        value_loss=float(m.get("losses/value", 0.0)),
        entropy=float(m.get("losses/entropy", 0.0)),
        kl=float(m.get("losses/kl_ref", 0.0)),
        seconds=_seconds(m),
    )


@activity.defn(name="evaluate_model")
async def evaluate_model(inp: EvaluationInput) -> EvaluationResult:
    """`sixg:eval` for a checkpoint (the policy as trained: greedy under the answer grammar), `random`, or a
    served model id."""
    model = f"policy:{inp.model}" if is_checkpoint(Path(inp.model)) else inp.model
    await _run_cli(
        ["-m", "sixg_learner.evaluation.evaluate", "--tasks", inp.tasks_file, "--model", model, "--out", inp.out]
    )
    summary = json.loads(Path(inp.out).read_text())["summary"]
    return EvaluationResult(
        model=inp.model,
        tasks=summary["tasks"],
        completion_rate=summary["task_completion_rate"],
        average_score_completed=summary["average_score_completed"],
        mean_reward=summary["mean_reward"],
        report=inp.out,
    )


def _better(new: EvaluationResult, old: dict[str, Any]) -> bool:
    """Completion rate first (the paper's headline), then the average score of completed tasks."""
    if new.completion_rate != old["completion_rate"]:
        return new.completion_rate > old["completion_rate"]
    return (new.average_score_completed or -1.0) > (old.get("average_score_completed") or -1.0)


def _checkpoint_prompt(directory: Path) -> str:
    """The prompt a checkpoint was trained with (what serving must ask it with); "plain" for anything else."""
    if not is_checkpoint(directory):
        return "plain"
    return str(json.loads((directory / CHECKPOINT_FILE).read_text()).get("prompt", "plain"))


@activity.defn(name="promote_if_better")
async def promote_if_better(inp: PromotionInput) -> PromotionResult:
    """Promotes the checkpoint if it beats the promoted one on the same evaluation; keeps a merged copy to serve.

    The merged copy (`promoted-hf`) is also exported to GGUF (`promoted.gguf`, in a child process like
    the training steps: it reads the whole model), which the model server serves as `sixg-llm`. Both are
    written before `promoted.json`, so a retry after a crash redoes the copy and the export; the GGUF is
    replaced by a rename, so a server loading it never reads a half-written file.
    """
    previous = json.loads(PROMOTED_FILE.read_text()) if PROMOTED_FILE.is_file() else None
    if previous is not None and not _better(inp.evaluation, previous["evaluation"]):
        return PromotionResult(
            promoted=False,
            current=previous["checkpoint"],
            previous=previous["checkpoint"],
            reason=(
                f"completion {inp.evaluation.completion_rate:.3f} does not beat "
                f"{previous['evaluation']['completion_rate']:.3f}"
            ),
        )
    merged = Path(inp.checkpoint) / "merged"
    served = PROMOTED_HF
    if is_checkpoint(Path(inp.checkpoint)) and not (merged / "config.json").is_file():
        await _run_cli(
            [
                "-c",
                "from sixg_learner.training.checkpoints import merge_and_export as m; "
                f"m({inp.checkpoint!r}, {str(merged)!r})",
            ]
        )
    if (merged / "config.json").is_file():
        if served.exists():
            shutil.rmtree(served)
        shutil.copytree(merged, served)
        await _run_cli(["-m", "sixg_learner.export.export_gguf", "--hf", str(served), "--out", str(PROMOTED_GGUF)])
    PROMOTED_FILE.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "checkpoint": inp.checkpoint,
        "evaluation": inp.evaluation.model_dump(),
        "served_from": str(served),
        "gguf": str(PROMOTED_GGUF) if PROMOTED_GGUF.is_file() else None,
        "promoted_at": datetime.now(UTC).isoformat(),
        "previous": previous["checkpoint"] if previous else None,
        "prompt": _checkpoint_prompt(Path(inp.checkpoint)),
    }
    PROMOTED_FILE.write_text(json.dumps(record, indent=2) + "\n")
    return PromotionResult(
        promoted=True,
        current=inp.checkpoint,
        previous=record["previous"],
        reason="first promoted model" if previous is None else "better than the promoted model",
    )


ACTIVITIES = [
    domain_finetune,
    twin_search_distill,
    rejection_sampling_round,
    ppo_step,
    evaluate_model,
    promote_if_better,
]
"""What the worker registers on the training queue, one at a time (a step takes the machine's cores)."""
