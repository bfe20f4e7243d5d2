"""Every training phase's settings: one dataclass hierarchy, each default declared once.

    Args                what every phase sets: seed, learning rate, gradient clip, adapter shape
    ├── SftArgs         domain instruction tuning (Section III-A; `train sft`)
    ├── DistillArgs     twin-search distillation: SFT on the twin's best grid plan per task (`train distill`)
    └── LoopArgs        what rejection sampling and PPO share: k answers per task sampled under the grammar
        ├── RsArgs      rejection sampling (Section III-B; `train rs`)
        └── PpoArgs     PPO from the twin's feedback (Section III-C; `train ppo`)

A field is declared in the class where its value is common to everything below; a phase declares
it again only to give it another value (RS samples cooler than the policy's own temperature, PPO
takes a smaller learning rate than the SFT steps). `train.py`'s flags are these fields
(`add_dataclass_arguments`: `learning_rate` is `--learning-rate`, with the field's default and help),
and the learner worker passes only the flags a workflow set (`temperature`, `learning_rate`), so an
unset one keeps the default declared here. The adapter shape's defaults are `LoraSettings`', the
policy's temperature `served.POLICY_TEMPERATURE` (what serving samples at too).
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass, field

from sixg_learner.generation.policy import LoraSettings
from sixg_learner.generation.served import POLICY_TEMPERATURE
from sixg_learner.tasks.prompting import PROMPTS

DISTILL_TARGETS = ("witness", "repair", "rule-repair", "lean-repair", "polish")


@dataclass
class Args:
    """What every training phase sets (module docstring)."""

    seed: int = field(default=1, metadata={"help": "seed of every random choice (sft: split, subset, minibatch order)"})
    learning_rate: float = field(
        default=2e-4,
        metadata={"help": "AdamW learning rate of the adapters (sft: at the first step, then decaying)"},
    )
    max_grad_norm: float = field(default=1.0, metadata={"help": "gradient norm clip"})
    lora_r: int = field(default=LoraSettings.r, metadata={"help": "LoRA rank (new adapters only)"})
    lora_alpha: int = field(default=LoraSettings.alpha, metadata={"help": "LoRA alpha (new adapters only)"})
    prompt: str | None = field(
        default=None,
        metadata={
            "help": "the prompt the run trains with: plain, link-budget (plain plus the task's link budget, "
            "tasks/link_budget.py), compact (link-budget in at most 400 tokens) or lean (compact, the budget line "
            "naming its leanest plan); unset: the starting "
            "checkpoint's (plain for a base)"
        },
    )

    def __post_init__(self) -> None:
        if self.prompt is not None and self.prompt not in PROMPTS:
            raise ValueError(f"prompt must be one of {', '.join(PROMPTS)}, not {self.prompt!r}")


@dataclass
class SftArgs(Args):
    """Domain instruction tuning (Section III-A); `train sft`'s flags."""

    epochs: int = field(default=2, metadata={"help": "passes over the training pairs"})
    final_lr_fraction: float = field(
        default=0.1, metadata={"help": "the learning rate decays linearly to learning_rate × this at the last step"}
    )
    minibatch_size: int = field(default=16, metadata={"help": "pairs per gradient step"})
    microbatch_size: int = field(default=8, metadata={"help": "pairs per forward/backward (memory bound)"})
    eval_size: int = field(default=32, metadata={"help": "pairs held out for eval/loss (0: none)"})
    eval_generate: int = field(
        default=0, metadata={"help": "of the held-out pairs, how many to answer greedily for eval/exact_match"}
    )
    max_new_tokens: int = field(default=64, metadata={"help": "longest greedy answer in the exact-match eval"})


@dataclass
class DistillArgs(Args):
    """Twin-search distillation (`training/distill.py`; `train distill`'s flags)."""

    epochs: int = field(default=4, metadata={"help": "passes over the (task, witness) pairs"})
    learning_rate: float = field(
        default=3e-4, metadata={"help": "AdamW learning rate of the adapters at the first step, then decaying"}
    )
    final_lr_fraction: float = field(
        default=0.1, metadata={"help": "the learning rate decays linearly to learning_rate × this at the last step"}
    )
    minibatch_size: int = field(default=16, metadata={"help": "pairs per gradient step"})
    microbatch_size: int = field(default=8, metadata={"help": "pairs per forward/backward (memory bound)"})
    max_new_tokens: int = field(default=160, metadata={"help": "longest greedy answer on the dev tasks"})
    targets: str = field(
        default="witness",
        metadata={
            "help": "witness: the grid's best plan per task; repair: the starting model's greedy answer where it "
            "meets the QoS, else its nearest repair on the twin (tasks/repair.py); rule-repair: the same from "
            "the hand rule's plan instead of the model's answer; lean-repair: the same from the lean rule's plan "
            "(tasks/link_budget.py lean_rule_link, the plan the lean prompt names); polish: as repair, with every "
            "answer that meets the QoS trimmed by up to polish_moves steepest-ascent moves on eq. (2) "
            "(tasks/repair.py climb)"
        },
    )
    target_margin_db: float = field(
        default=0.0,
        metadata={
            "help": "the target must meet the QoS this many dB below the task's SNR too (witness: 0 keeps the "
            "task's own witness)"
        },
    )

    polish_moves: int = field(
        default=2, metadata={"help": "polish: the most edit-group moves a working answer is trimmed by"}
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.targets not in DISTILL_TARGETS:
            raise ValueError(f"targets must be one of {', '.join(DISTILL_TARGETS)}, not {self.targets!r}")


@dataclass
class LoopArgs(Args):
    """What rejection sampling and PPO both set: the sampling and the update's batches."""

    k: int = field(default=4, metadata={"help": "answers sampled per task and round/step"})
    max_new_tokens: int = field(default=160, metadata={"help": "longest answer, tokens (a full link is ~115)"})
    temperature: float = field(
        default=POLICY_TEMPERATURE, metadata={"help": "the policy is softmax(logits / temperature)"}
    )
    minibatch_size: int = field(default=8, metadata={"help": "answers per gradient step"})
    microbatch_size: int = field(default=4, metadata={"help": "answers per forward/backward (memory bound)"})
    constrained: int = field(default=1, metadata={"help": "1: the policy is constrained by the answer grammar"})


@dataclass
class RsArgs(LoopArgs):
    """Rejection sampling (Section III-B); the shared flags are `LoopArgs`'."""

    rounds: int = field(default=3, metadata={"help": "most rounds (fewer when the success rate stops growing)"})
    temperature: float = field(default=0.7, metadata={"help": "sampling temperature"})
    sft_epochs: int = field(default=2, metadata={"help": "passes over a round's kept pairs"})
    keep: str = field(
        default="best",
        metadata={
            "help": "which answers that meet their QoS a round keeps: 'best' (per task the one with the highest "
            "eq. (2) score: distils efficient plans, not just any plan that works) or 'all' (every distinct one)"
        },
    )


@dataclass
class PpoArgs(LoopArgs):
    """PPO from the twin's feedback (Section III-C); the shared flags are `LoopArgs`'."""

    steps: int = field(default=100, metadata={"help": "last PPO iteration (a resumed run continues up to it)"})
    tasks_per_step: int = field(default=8, metadata={"help": "tasks per iteration (cycling through the task file)"})
    ppo_epochs: int = field(default=2, metadata={"help": "passes over a rollout"})
    learning_rate: float = field(default=5e-5, metadata={"help": "AdamW learning rate (adapters, value head)"})
    clip_eps: float = field(default=0.2, metadata={"help": "ε of eq. (6)"})
    k1: float = field(default=0.5, metadata={"help": "k₁ of eq. (9): value loss weight"})
    k2: float = field(default=1.0, metadata={"help": "k₂ of eq. (9): regularisation weight"})
    beta_ent: float = field(default=0.001, metadata={"help": "β_ent of eq. (8): entropy bonus"})
    beta_kl: float = field(default=0.05, metadata={"help": "β_KL of eq. (8): KL to the reference"})
    tw_alpha: float = field(default=1.0, metadata={"help": "α of eq. (5); 0 turns token weighting off"})
    tw_lambda: float = field(default=1e-3, metadata={"help": "λ of eq. (5)"})
    tw_threshold: float = field(default=0.01, metadata={"help": "weight only tokens with S_t above this"})
    tw_perturbations: int = field(default=2, metadata={"help": "N of eq. (4): perturbations per token"})
    tw_max_answers: int = field(default=4, metadata={"help": "answers per step that get token weights"})
    ref_refresh_steps: int = field(default=10, metadata={"help": "π_ref ← π_θ every this many steps"})
    critic_warmup_steps: int = field(
        default=2, metadata={"help": "first iterations that train only the critic (eq. 7), the policy held"}
    )
    baseline: str = field(
        default="critic",
        metadata={
            "help": "the advantage's baseline: critic (A = R − V(s_t), eq. 6), group (A = R − the mean reward "
            "of the task's k answers, GRPO's baseline) or group-std (that, divided by the k rewards' std: GRPO's "
            "advantage)"
        },
    )
    critic_backbone: int = field(
        default=1,
        metadata={
            "help": "1: the value loss (eq. 7) also trains the shared LoRA backbone (the paper's critic); "
            "0: the value head alone, so only eqs. (6) and (8) move the policy"
        },
    )
    save_every: int = field(default=10, metadata={"help": "checkpoint every this many steps (and the last)"})
    dev_every: int = field(
        default=10, metadata={"help": "greedy dev completion every this many steps (and the last), with a checkpoint"}
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.baseline not in ("critic", "group", "group-std"):
            raise ValueError(f"baseline must be critic, group or group-std, not {self.baseline!r}")


def add_dataclass_arguments(parser: argparse.ArgumentParser, cls: type[Args]) -> None:
    """One `--flag-name` per field of `cls`, with the field's type, default and help."""
    for f in dataclasses.fields(cls):
        kind = str if f.default is None else type(f.default)  # the optional fields are strings (`prompt`)
        parser.add_argument(f"--{f.name.replace('_', '-')}", type=kind, default=f.default, help=f.metadata["help"])
