"""`npm run sixg:retrain`: the training of the shipped 6G-LLM, reproduced end to end on the committed tasks.

    python -m sixg_learner.training.retrain [--device cuda] [--pack] [--out data/sixg/runs/retrain] ...

Stages (each resumable: a stage whose result exists is not run again; `train` resumes from checkpoints):

1. the base model from the registry package's GGUF (`convert`);
1b. with `--distill-epochs N` (the default: 6), twin-search distillation with the link-budget prompt on the
   hand rule's plans and the twin's repairs of them (`train distill --targets rule-repair`), the epoch chosen
   on the dev split (`distill/best.json`). About a minute an epoch with `--device cuda` on one H200, about
   an hour on 2 CPU cores;
2. with `--rs-rounds N` (N > 0), rejection sampling on the training tasks, rounds until greedy completion on
   the dev split stops improving (`train rs --dev-tasks`; the best round is named in `rs/best.json`);
3. with `--ppo-steps N` (N > 0; the default: 10), PPO with token weights from the best RS round, else the
   distilled model (`train ppo --dev-tasks`; best step in `ppo/best.json`): the shipped model is step 10 of
   it (session 13; about 100 s a step on 2 CPU cores);
3b. with `--final-prompt P` (the default: compact), one rejection-sampling round from PPO's best step that moves the
   model to prompt P (`train rs --prompt P`: k answers per task sampled with P, the best that meets the QoS kept,
   SFT on them; session 17: 800 tasks, k = 4, 68 min on 2 CPU cores). The issue bounds the served prompt at 400
   tokens, which the link-budget prompt exceeds;
3c. with `--lean-epochs N` (the default: 2), distillation from the model of 3b (else PPO's best step) to the
   `lean` prompt, on the lean rule's plans and the twin's repairs of them (`train distill --prompt lean
   --targets lean-repair`; session 21: 800 tasks, about 13 min an epoch on 2 CPU cores), the epoch chosen on
   dev. The lean prompt names the budget's leanest plan;
3d. with `--lean-more-epochs N` (the default: 2), the same distillation continued from 3c's best epoch on the
   training tasks 3c did not use (`--skip` the first `--lean-tasks`, then `--lean-more-tasks`, the default 1,800:
   the rest of the file), a new run from its adapters (`train distill --fresh`; session 22: about 27 min an epoch
   on 2 CPU cores). The twin repairs the lean rule's plan on about a fifth of the tasks, so 3c saw 141 repairs
   and 3d adds 352; when this stage runs its model is the one packed (else 3c's);
4. greedy evaluation of the base and each trained stage on the held-out evaluation tasks (`evaluate --model
   policy:…`), beside the random, constant, rule and lean-rule baselines, compared with intervals and paired tests;
5. with `--pack`, the last lean distillation that ran, else the prompt-transfer round when it ran, else the model
   the dev split chose (PPO's best step, else RS's best round, else the distilled epoch; the evaluation tasks
   never choose anything) packed into `learner/models/sixg-llm` (`ship pack`).

The defaults are the shipped run's (docs/RLDTF.md); `config.json` in the output folder records them. The
model shipped before it (PPO step 27 of sessions 5–7) is `--train-tasks learner/data/train/tasks-1a94344d2007.jsonl
--prompt plain --distill-epochs 0 --rs-rounds 2 --ppo-steps 40 --final-prompt ""`; the one shipped in session 13
(PPO step 10, link-budget prompt) is `--final-prompt "" --lean-epochs 0`; the one shipped in session 17 (compact
prompt) is `--lean-epochs 0`; the one shipped in session 21 is `--lean-more-epochs 0`. This is a
benchmark, not a test: it takes hours on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from sixg_learner.export.convert import DEFAULT_OUT_DIR

TRAIN_TASKS = Path("learner/data/train/tasks-4d5b499080ac.jsonl")
"""The 2,600 training tasks (seeds 11, 31, 32; its .meta.json)."""
DEV_TASKS = Path("learner/data/dev/tasks-f06dd51d42e8.jsonl")
EVAL_TASKS = Path("learner/data/eval/tasks-7011393aa72e.jsonl")
BASE = DEFAULT_OUT_DIR
"""Where stage 1 (`convert`, run without --out) writes the base model."""


@dataclass
class RetrainArgs:
    """The committed run's settings (docs/RLDTF.md), each passed to `train` explicitly: they pin the
    reproduction, so changing a phase's default in training/args.py does not change what this reruns."""

    out: Path = Path("data/sixg/runs/retrain")
    threads: int = 1
    seed: int = 1
    device: str = "cpu"
    """torch device of the training stages (cuda: a GPU; only distillation has run on one)."""
    train_tasks: Path = TRAIN_TASKS
    prompt: str = "link-budget"
    distill_epochs: int = 6
    distill_learning_rate: float = 3e-4
    distill_targets: str = "rule-repair"
    distill_margin_db: float = 1.0
    distill_microbatch: int = 16
    rs_tasks: int = 240
    rs_k: int = 8
    rs_rounds: int = 0
    rs_temperature: float = 1.0
    rs_epochs: int = 3
    rs_learning_rate: float = 3e-4
    ppo_steps: int = 10
    ppo_k: int = 4
    ppo_tasks_per_step: int = 8
    ppo_learning_rate: float = 1e-4
    ppo_epochs: int = 2
    ppo_save_every: int = 5
    ppo_temperature: float = 1.0
    token_weights_alpha: float = 1.0
    final_prompt: str = "compact"
    """The prompt a last RS round moves the model to ("": none, the PPO model is final)."""
    final_rs_tasks: int = 800
    final_rs_k: int = 4
    final_rs_temperature: float = 0.7
    final_rs_epochs: int = 2
    final_rs_learning_rate: float = 2e-4
    lean_epochs: int = 2
    """Distillation epochs to the lean prompt after the final round (0: none, the final round's model is packed)."""
    lean_tasks: int = 800
    lean_learning_rate: float = 1e-4
    lean_margin_db: float = 1.0
    lean_more_epochs: int = 2
    """Epochs of the lean distillation continued on the training tasks after the first `lean_tasks` (0: none)."""
    lean_more_tasks: int = 1800
    skip_ppo: bool = False
    pack: bool = False


def _run(args: list[str]) -> None:
    print("[retrain] " + " ".join(args), flush=True)
    subprocess.run([sys.executable, "-m", *args], check=True)


def _best(run_dir: Path) -> Path | None:
    record = run_dir / "best.json"
    return Path(json.loads(record.read_text())["checkpoint"]) if record.is_file() else None


def _distill_base(run_dir: Path, start: Path) -> list[str]:
    """`--base` of a distillation stage: its own last epoch, resumed, else a new run from `start`'s adapters
    (`--fresh`: a distill checkpoint of an earlier stage as `start` is not resumed)."""
    epochs = sorted(run_dir.glob("distill-epoch-*"), key=lambda p: int(p.name.rsplit("-", 1)[1]))
    return ["--base", str(epochs[-1])] if epochs else ["--base", str(start), "--fresh"]


def _lean_distill(args: RetrainArgs, tasks: str, threads: list[str], run_dir: Path, start: Path, *, skip: int,
                  limit: int, epochs: int) -> Path | None:  # fmt: skip
    """Stages 3c/3d: distillation with the lean prompt on the lean rule's plans, repaired by the twin where they
    fail, on the training tasks `skip` … `skip + limit`; the dev split's best epoch."""
    if not (run_dir / "done").is_file():
        _run(["sixg_learner.training.train", "distill", *_distill_base(run_dir, start), "--prompt", "lean",
              "--targets", "lean-repair", "--target-margin-db", str(args.lean_margin_db), "--tasks", tasks,
              "--skip", str(skip), "--limit", str(limit), "--dev-tasks", str(DEV_TASKS), "--out", str(run_dir),
              "--epochs", str(epochs), "--learning-rate", str(args.lean_learning_rate), *threads])  # fmt: skip
        (run_dir / "done").write_text("")
    return _best(run_dir)


def _evaluate(name: str, model: str, out_dir: Path) -> Path:
    report = out_dir / f"eval-{name}.json"
    if not report.is_file():
        _run(["sixg_learner.evaluation.evaluate", "--tasks", str(EVAL_TASKS), "--model", model, "--processes", "0",
              "--chunk-size", "200", "--out", str(report)])  # fmt: skip
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    defaults = RetrainArgs()
    for name, value in asdict(defaults).items():
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            parser.add_argument(flag, action="store_true")
        else:
            parser.add_argument(flag, type=type(value), default=value)
    args = RetrainArgs(**vars(parser.parse_args(argv)))
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps({k: str(v) for k, v in asdict(args).items()}, indent=2) + "\n")
    threads = ["--threads", str(args.threads), "--seed", str(args.seed), "--device", args.device]
    tasks = str(args.train_tasks)

    # 1. the base
    _run(["sixg_learner.export.convert"])
    # 1b. twin-search distillation, the epoch chosen on the dev split
    distill_best = None
    if args.distill_epochs > 0:
        distill_dir = out / "distill"
        if not (distill_dir / "done").is_file():
            _run(["sixg_learner.training.train", "distill", *_distill_base(distill_dir, BASE), "--tasks", tasks,
                  "--dev-tasks", str(DEV_TASKS), "--out", str(distill_dir), "--epochs", str(args.distill_epochs),
                  "--learning-rate", str(args.distill_learning_rate), "--prompt", args.prompt,
                  "--targets", args.distill_targets, "--target-margin-db", str(args.distill_margin_db),
                  "--microbatch-size", str(args.distill_microbatch), *threads])  # fmt: skip
            (distill_dir / "done").write_text("")
        distill_best = _best(distill_dir)
    rs_base = distill_best or BASE
    # 2. rejection sampling, stopped on the dev split
    rs_best = None
    if args.rs_rounds > 0:
        rs_dir = out / "rs"
        if not (rs_dir / "done").is_file():
            # a distilled start keeps the prompt it was trained with; the base is given the run's
            prompt = ["--prompt", args.prompt] if distill_best is None else []
            _run(["sixg_learner.training.train", "rs", "--base", str(rs_base), "--tasks", tasks, "--dev-tasks",
                  str(DEV_TASKS), "--limit", str(args.rs_tasks), "--out", str(rs_dir), "--k", str(args.rs_k),
                  "--rounds", str(args.rs_rounds), "--temperature", str(args.rs_temperature), "--sft-epochs",
                  str(args.rs_epochs), "--learning-rate", str(args.rs_learning_rate), *prompt, *threads])  # fmt: skip
            (rs_dir / "done").write_text("")
        rs_best = _best(rs_dir)
    # 3. PPO with token weights from the best RS round (or the distilled model, if no round beat it on dev)
    ppo_init = rs_best or distill_best
    ppo_best = None
    if not args.skip_ppo and args.ppo_steps > 0 and ppo_init is not None:
        ppo_dir = out / "ppo"
        _run(["sixg_learner.training.train", "ppo", "--init", str(ppo_init), "--tasks", tasks, "--dev-tasks",
              str(DEV_TASKS), "--out", str(ppo_dir), "--steps", str(args.ppo_steps), "--k", str(args.ppo_k),
              "--tasks-per-step", str(args.ppo_tasks_per_step), "--learning-rate", str(args.ppo_learning_rate),
              "--ppo-epochs", str(args.ppo_epochs), "--save-every", str(args.ppo_save_every),
              "--dev-every", str(args.ppo_save_every), "--temperature", str(args.ppo_temperature),
              "--tw-alpha", str(args.token_weights_alpha), *threads])  # fmt: skip
        ppo_best = _best(ppo_dir)
    # 3b. one RS round to the final prompt (the served prompt must fit the 400 tokens)
    final_best = None
    if args.final_prompt and ppo_best is not None:
        final_dir = out / "rs-final"
        if not (final_dir / "done").is_file():
            _run(["sixg_learner.training.train", "rs", "--base", str(ppo_best), "--prompt", args.final_prompt,
                  "--tasks", tasks, "--dev-tasks", str(DEV_TASKS), "--limit", str(args.final_rs_tasks), "--out",
                  str(final_dir), "--k", str(args.final_rs_k), "--rounds", "1", "--temperature",
                  str(args.final_rs_temperature), "--sft-epochs", str(args.final_rs_epochs), "--learning-rate",
                  str(args.final_rs_learning_rate), *threads])  # fmt: skip
            (final_dir / "done").write_text("")
        final_best = _best(final_dir)
    # 3c. distillation to the lean prompt: the lean rule's plans, repaired by the twin where they fail
    lean_best = None
    lean_start = final_best or ppo_best
    if args.lean_epochs > 0 and lean_start is not None:
        lean_best = _lean_distill(args, tasks, threads, out / "lean", lean_start, skip=0, limit=args.lean_tasks,
                                  epochs=args.lean_epochs)  # fmt: skip
    # 3d. continued, from 3c's best epoch, on the training tasks 3c did not see: more of the twin's repairs
    lean_more_best = None
    if args.lean_more_epochs > 0 and lean_best is not None:
        lean_more_best = _lean_distill(args, tasks, threads, out / "lean-more", lean_best, skip=args.lean_tasks,
                                       limit=args.lean_more_tasks, epochs=args.lean_more_epochs)  # fmt: skip
    # 4. held-out evaluation beside the baselines
    reports = {name: _evaluate(name, name, out) for name in ("random", "constant", "rule", "lean-rule")}
    reports["base"] = _evaluate("base", f"policy:{BASE}", out)
    if distill_best is not None:
        reports["distill"] = _evaluate("distill", f"policy:{distill_best}", out)
    if rs_best is not None:
        reports["rs"] = _evaluate("rs", f"policy:{rs_best}", out)
    if ppo_best is not None:
        reports["rldtf"] = _evaluate("rldtf", f"policy:{ppo_best}", out)
    if final_best is not None:
        reports["final"] = _evaluate("final", f"policy:{final_best}", out)
    if lean_best is not None:
        reports["lean"] = _evaluate("lean", f"policy:{lean_best}", out)
    if lean_more_best is not None:
        reports["lean-more"] = _evaluate("lean-more", f"policy:{lean_more_best}", out)
    compare = ["sixg_learner.evaluation.compare", "--out", str(out / "compare.json")]
    for name, report in reports.items():
        compare += ["--report", f"{name}={report}"]
    for trained in ("distill", "rs", "rldtf", "final", "lean", "lean-more"):
        if trained in reports:
            compare += ["--pair", f"{trained}:rule"]
    if "lean" in reports:
        compare += ["--pair", "lean:lean-rule"]
    if "lean-more" in reports:
        compare += ["--pair", "lean-more:lean-rule", "--pair", "lean-more:lean"]
    _run(compare)
    # 5. ship the model the dev split chose
    if args.pack:
        chosen = lean_more_best or lean_best or final_best or ppo_best or rs_best or distill_best
        if chosen is not None:
            names = {
                lean_more_best: "lean-more",
                lean_best: "lean",
                final_best: "final",
                ppo_best: "rldtf",
                rs_best: "rs",
                distill_best: "distill",
            }
            name = names[chosen]
            _run(["sixg_learner.export.ship", "pack", "--checkpoint", str(chosen), "--evaluation", str(reports[name])])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
