"""Domain instruction tuning (RLDTF paper, Section III-A, "phase 1"): SFT of the LoRA adapters on telecom Q&A.

The paper fine-tunes its pre-trained model on Q&A converted from the domain corpus, "with a
gradually decaying learning rate", before rejection sampling (III-B) and RLDTF (III-C); its
Benchmark 3 is that phase-1 model. Here the Q&A are `domain_qa.py`'s (exact facts parsed from the
3GPP tables) and the training is the same SFT as rejection sampling's, on other data:

- each pair is the user turn through the model's chat template (`add_generation_prompt`), then the
  assistant's text and the end-of-text token (`<|im_end|>`: the model learns to stop). The prompt
  and answer are tokenised separately, exactly the ids the template gives for the whole
  conversation (tested); the loss is −mean log π over the answer tokens only (the question is not
  learned), `rejection_sampling.sft_loss` on unconstrained `Sequences` (no answer grammar: free text);
- the batch layout is `policy.Sequences`: the token prefix all prompts share (the template's
  default system message and the user header, ≈ 20 tokens) once, the rest of each prompt left-padded,
  the answers right-padded; `backward_in_microbatches` gives the exact minibatch gradient in
  micro-batches;
- AdamW on the adapters (the base frozen; the value head gets no gradient here and stays 0), the
  learning rate decaying linearly from `learning_rate` to `learning_rate · final_lr_fraction` over
  the run's steps, gradient norm clipped;
- a checkpoint `sft-epoch-N` after every epoch (`checkpoints.save_checkpoint`, phase "sft", the
  lineage's dataset = the Q&A file and its SHA-256), one metrics line per step in
  `<out>/metrics.jsonl` (`phase: "sft"`, `losses/sft`) and on stdout, and per epoch the loss of
  held-out pairs (`eval/loss`) and optionally greedy exact-match answers on some of them.

The checkpoint is a `--base` for `train.py rs`: rejection sampling then starts from its adapters with a
fresh optimizer and π_ref = that model (`train.main`'s other-phase branch). A checkpoint of this
phase as `--base` here resumes at the next epoch with the saved optimizer.

Held-out pairs are drawn by pair, not by fact: a held-out question's fact is usually trained under
another phrasing, so `eval/*` measures recall of a learnt fact under a new wording (a table lookup
cannot generalise to a fact never seen).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from sixg_learner.export.ship import is_shipped, shipped_policy
from sixg_learner.generation.policy import (
    LoraSettings,
    Policy,
    PrefixKV,
    Sequences,
    derive_seed,
    load_policy,
    prefix_kv,
    shared_prefix_len,
)
from sixg_learner.tasks.task import file_sha256
from sixg_learner.training.args import SftArgs, add_dataclass_arguments
from sixg_learner.training.checkpoints import checkpoint_step, is_checkpoint, load_checkpoint, restore_rng
from sixg_learner.training.domain_qa import load_pairs
from sixg_learner.training.rejection_sampling import sft_loss
from sixg_learner.training.updates import backward_in_microbatches, make_optimizer, minibatches

# --------------------------------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------------------------------


def encode_pairs(tokenizer: Any, records: Sequence[dict[str, Any]]) -> Sequences:  # noqa: ANN401 - any HF tokenizer
    """Q&A records (chat messages ending with the assistant's answer) → `Sequences` behind their shared prefix.

    Prompt = the messages before the answer through the chat template with the generation prompt;
    answer = the answer's tokens + end-of-text. The prompt rests are left-padded to one width, the
    answers right-padded; the response mask is 1 on the answer tokens (end-of-text included).
    """
    eos, pad = tokenizer.eos_token_id, tokenizer.pad_token_id
    prompts, answers = [], []
    for record in records:
        text = tokenizer.apply_chat_template(record["messages"][:-1], tokenize=False, add_generation_prompt=True)
        prompts.append(tokenizer(text, add_special_tokens=False)["input_ids"])
        answers.append(tokenizer(record["messages"][-1]["content"], add_special_tokens=False)["input_ids"] + [eos])
    prefix_len = shared_prefix_len(prompts) if len(prompts) > 1 else 0
    rests = [ids[prefix_len:] for ids in prompts]
    width, answer_width = max(len(r) for r in rests), max(len(a) for a in answers)
    rows, masks, response = [], [], []
    for rest, answer in zip(rests, answers, strict=True):
        left, right = width - len(rest), answer_width - len(answer)
        rows.append([pad] * left + rest + answer + [pad] * right)
        masks.append([0] * left + [1] * (len(rest) + len(answer)) + [0] * right)
        response.append([1.0] * len(answer) + [0.0] * right)
    return Sequences(
        prefix_ids=torch.tensor(prompts[0][:prefix_len], dtype=torch.long),
        input_ids=torch.tensor(rows, dtype=torch.long),
        attention_mask=torch.tensor(masks, dtype=torch.long),
        prompt_len=width,
        response_mask=torch.tensor(response),
    )


def split_pairs(
    records: Sequence[dict[str, Any]], eval_size: int, limit: int | None, seed: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(train, eval): a seeded shuffle; the first `eval_size` pairs held out, then at most `limit` to train on."""
    order = list(range(len(records)))
    random.Random(f"sft-split:{seed}").shuffle(order)
    held = order[:eval_size]
    train = order[eval_size:]
    if limit is not None:
        train = train[:limit]
    if not train:
        raise ValueError(f"no pairs left to train on ({len(records)} pairs, {eval_size} held out)")
    return [records[i] for i in train], [records[i] for i in held]


def row_tokens(seqs: Sequences, rows: Sequence[int]) -> tuple[int, int]:
    """(all tokens, answer tokens) of some rows: the prefix counted once per row, padding never."""
    index = list(rows)
    total = int(seqs.attention_mask[index].sum()) + len(index) * len(seqs.prefix_ids)
    return total, int(seqs.response_mask[index].sum())


# --------------------------------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------------------------------


def learning_rate_at(args: SftArgs, step: int, total_steps: int) -> float:
    """Linear decay from `learning_rate` (step 1) to `learning_rate · final_lr_fraction` (the last step)."""
    if total_steps <= 1:
        return args.learning_rate
    progress = (step - 1) / (total_steps - 1)
    return args.learning_rate * (1.0 - (1.0 - args.final_lr_fraction) * progress)


def sft_step(
    policy: Policy, optimizer: torch.optim.Optimizer, data: Sequences, rows: list[int], args: SftArgs
) -> float:
    """One gradient step on some pairs; their token-mean answer loss (before the step).

    The rows go into micro-batches sorted by length (less padding per micro-batch); the gradient is
    the minibatch's whatever the split (`backward_in_microbatches`).
    """
    lengths = data.attention_mask.sum(1)
    rows = sorted(rows, key=lambda r: int(lengths[r]))
    parts: list[tuple[float, float]] = []

    def micro_loss(micro_rows: list[int], micro: Sequences, prefix: PrefixKV | None) -> torch.Tensor:
        loss = sft_loss(policy, micro, prefix)
        parts.append((loss.item(), micro.response_mask.sum().item()))
        return loss

    optimizer.zero_grad()
    backward_in_microbatches(policy, data, rows, args.microbatch_size, micro_loss)
    torch.nn.utils.clip_grad_norm_(policy.trainable_parameters(), args.max_grad_norm)
    optimizer.step()
    return sum(loss * n for loss, n in parts) / sum(n for _, n in parts)


def eval_loss(policy: Policy, data: Sequences, chunk: int) -> float:
    """Token-mean answer loss over all rows, no gradient."""
    total, tokens = 0.0, 0.0
    with torch.no_grad():
        prefix = prefix_kv(policy, data.prefix_ids) if len(data.prefix_ids) else None
        for start in range(0, data.input_ids.shape[0], chunk):
            micro = data.select(list(range(start, min(start + chunk, data.input_ids.shape[0]))))
            n = float(micro.response_mask.sum())
            total += float(sft_loss(policy, micro, prefix)) * n
            tokens += n
    return total / tokens


def _numbers(text: str) -> list[str]:
    return re.findall(r"\d+(?:\.\d+)?", text)


def greedy_answers(policy: Policy, records: Sequence[dict[str, Any]], max_new_tokens: int, chunk: int) -> list[str]:
    """The model's greedy, unconstrained answers to the records' questions (chat template, left padding)."""
    tokenizer = policy.tokenizer
    prompts = [
        tokenizer.apply_chat_template(r["messages"][:-1], tokenize=False, add_generation_prompt=True) for r in records
    ]
    answers: list[str] = []
    with torch.no_grad():
        for start in range(0, len(prompts), chunk):
            batch = tokenizer(
                prompts[start : start + chunk], add_special_tokens=False, return_tensors="pt", padding=True
            )
            out = policy.model.generate(
                **batch,
                do_sample=False,
                max_new_tokens=max_new_tokens,
                eos_token_id=tokenizer.eos_token_id,
                pad_token_id=tokenizer.pad_token_id,
            )
            generated = out[:, batch["input_ids"].shape[1] :]
            answers += [t.strip() for t in tokenizer.batch_decode(generated, skip_special_tokens=True)]
    return answers


def evaluate(policy: Policy, held: Sequence[dict[str, Any]], held_data: Sequences | None, args: SftArgs) -> dict:
    if held_data is None:
        return {}
    metrics: dict[str, Any] = {"eval/loss": eval_loss(policy, held_data, args.microbatch_size)}
    if args.eval_generate > 0:
        records = held[: args.eval_generate]
        answers = greedy_answers(policy, records, args.max_new_tokens, args.microbatch_size)
        references = [r["messages"][-1]["content"].strip() for r in records]
        metrics["eval/exact_match"] = sum(a == r for a, r in zip(answers, references, strict=True)) / len(records)
        metrics["eval/numbers_match"] = sum(
            _numbers(a) == _numbers(r) for a, r in zip(answers, references, strict=True)
        ) / len(records)
        metrics["eval/samples"] = [
            {"id": rec["id"], "answer": a, "reference": r}
            for rec, a, r in zip(records[:3], answers, references, strict=False)
        ]
    return metrics


@dataclass
class SftRun:
    """Where an SFT run reads and writes."""

    data_file: Path
    data_sha256: str
    out_dir: Path
    log: Callable[[str], None] = field(default=lambda line: None)

    def record(self, metrics: dict[str, Any]) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        with (self.out_dir / "metrics.jsonl").open("a") as f:
            f.write(json.dumps(metrics) + "\n")


def progress_line(m: dict[str, Any]) -> str:
    if "losses/sft" in m:
        return (
            f"sft {m['step']:>5}/{m['total_steps']}  epoch {m['epoch']}  loss {m['losses/sft']:.4f}  "
            f"lr {m['charts/learning_rate']:.3g}  tokens/s {m['perf/tokens_per_s']:.0f}  "
            f"|  step {m['time/step_s']:.2f}s"
        )
    shown = {k: v for k, v in m.items() if k.startswith(("eval/", "losses/")) and not isinstance(v, list)}
    numbers = "  ".join(f"{k} {v:.4g}" for k, v in shown.items())
    return f"sft epoch {m['epoch']} done  {numbers}  {m.get('checkpoint', '')}"


def run_sft(
    policy: Policy,
    optimizer: torch.optim.Optimizer,
    train: Sequence[dict[str, Any]],
    held: Sequence[dict[str, Any]],
    run: SftRun,
    args: SftArgs,
    start_epoch: int = 1,
    parent: Path | None = None,
) -> list[dict[str, Any]]:
    """Epochs `start_epoch` … `args.epochs`; a checkpoint `sft-epoch-N` after each; the per-epoch metrics."""
    data = encode_pairs(policy.tokenizer, train)
    held_data = encode_pairs(policy.tokenizer, held) if held else None
    steps_per_epoch = -(-len(train) // args.minibatch_size)
    total_steps = steps_per_epoch * args.epochs
    if start_epoch == 1 and held_data is not None:
        before = {"phase": "sft", "step": 0, "epoch": 0, **evaluate(policy, held, held_data, args)}
        run.record(before)
        run.log(progress_line(before))
    history = []
    for epoch in range(start_epoch, args.epochs + 1):
        started, losses, epoch_tokens = time.perf_counter(), [], 0
        generator = torch.Generator().manual_seed(derive_seed(args.seed, "sft", epoch))
        for i, rows in enumerate(minibatches(len(train), args.minibatch_size, generator)):
            step = (epoch - 1) * steps_per_epoch + i + 1
            lr = learning_rate_at(args, step, total_steps)
            for group in optimizer.param_groups:
                group["lr"] = lr
            t0 = time.perf_counter()
            loss = sft_step(policy, optimizer, data, rows, args)
            elapsed = time.perf_counter() - t0
            tokens, answer_tokens = row_tokens(data, rows)
            epoch_tokens += tokens
            losses.append(loss)
            metrics = {
                "phase": "sft",
                "step": step,
                "total_steps": total_steps,
                "epoch": epoch,
                "losses/sft": loss,
                "charts/learning_rate": lr,
                "sft/pairs": len(rows),
                "sft/tokens": tokens,
                "sft/answer_tokens": answer_tokens,
                "perf/tokens_per_s": tokens / elapsed,
                "time/step_s": elapsed,
            }
            run.record(metrics)
            run.log(progress_line(metrics))
        train_s = time.perf_counter() - started
        summary = {
            "phase": "sft",
            "step": epoch * steps_per_epoch,
            "epoch": epoch,
            "losses/sft_epoch": sum(losses) / len(losses),
            "losses/sft_first": losses[0],
            "losses/sft_last": losses[-1],
            "perf/epoch_tokens_per_s": epoch_tokens / train_s,
            "time/train_s": train_s,
        }
        summary.update(evaluate(policy, held, held_data, args))
        config = {**asdict(args), "train_pairs": len(train), "eval_pairs": len(held)}
        parent = checkpoint_step(
            run.out_dir / f"sft-epoch-{epoch}", policy, optimizer, epoch, "sft", config, summary,
            run.data_file, run.data_sha256, parent,
        )  # fmt: skip
        summary["time/epoch_s"] = time.perf_counter() - started
        run.record(summary)
        run.log(progress_line(summary))
        history.append(summary)
    return history


# --------------------------------------------------------------------------------------------------------------------
# CLI (`python -m sixg_learner.training.train sft …`)
# --------------------------------------------------------------------------------------------------------------------


def add_sft_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, required=True, help="Q&A file (chat JSONL, domain_qa.py)")
    parser.add_argument(
        "--base", type=Path, required=True, help="HF model folder, a shipped model, or a checkpoint (sft: resume)"
    )
    parser.add_argument("--out", type=Path, required=True, help="folder for checkpoints and metrics.jsonl")
    parser.add_argument("--limit", type=int, default=None, help="train on N pairs drawn at random (seeded)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    add_dataclass_arguments(parser, SftArgs)


def run_from_cli(cli: argparse.Namespace) -> int:
    args = SftArgs(**{f.name: getattr(cli, f.name) for f in dataclasses.fields(SftArgs)})
    records = load_pairs(cli.data)
    train, held = split_pairs(records, args.eval_size, cli.limit, args.seed)
    start, parent, optimizer_state = 1, None, None
    if is_checkpoint(cli.base):
        checkpoint = load_checkpoint(cli.base)
        policy, parent = checkpoint.policy, cli.base
        if checkpoint.phase == "sft":
            start, optimizer_state = checkpoint.step + 1, checkpoint.optimizer_state
            restore_rng(cli.base)
    elif is_shipped(cli.base):
        policy = shipped_policy(cli.base)  # a shipped model's adapters, trained further from epoch 1 (fresh optimizer)
    else:
        policy = load_policy(cli.base, LoraSettings(r=args.lora_r, alpha=args.lora_alpha))
    optimizer = make_optimizer(policy, args.learning_rate)
    if optimizer_state is not None:
        optimizer.load_state_dict(optimizer_state)
    run = SftRun(cli.data, file_sha256(cli.data), cli.out, log=lambda line: print(line, flush=True))
    print(
        f"sft: {len(train)} pairs ({len(held)} held out) of {cli.data}, from {cli.base}, epochs {start}..", flush=True
    )
    history = run_sft(policy, optimizer, train, held, run, args, start, parent)
    print(json.dumps({"epochs": len(history), "last_checkpoint": history[-1]["checkpoint"] if history else None}))
    return 0
