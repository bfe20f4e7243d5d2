"""A served model's answer to a task: the prompt to an OpenAI-compatible endpoint, the answer schema as constraint.

The served counterpart of `policy.sample`: the same messages (`prompting.build_messages`), the same
answer shape (`prompting.answer_schema`; for the trained 6G-LLM narrowed to the task's state, which
maestro's model server decodes under the training grammar, model-server/sixg.py). Evaluation
(`evaluate --model <served id>`) and serving (`orchestrate`) both ask through it. No torch here: a
process that only asks the model server does not load the training stack.
"""

from __future__ import annotations

from typing import Any, cast

from sixg_learner.chat import SIXG_MODEL_ID, JsonMode, chat_completion, served_prompt
from sixg_learner.tasks.prompting import PROMPTS, PromptKind, answer_schema, build_messages
from sixg_learner.tasks.task import Task

POLICY_TEMPERATURE = 1.0
"""The policy's own distribution, softmax(logits / T) at T = 1: PPO samples and trains at it
(`PpoArgs.temperature`), and a served model's sampled draws use it (`orchestrate`)."""


def listed_prompt(base_url: str, model: str) -> PromptKind:
    """The prompt the server lists for `model` (`chat.served_prompt`); one this learner does not know is an error."""
    listed = served_prompt(base_url, model)
    if listed not in PROMPTS:
        raise ValueError(f"{model} at {base_url} was trained with the prompt {listed!r}, unknown here")
    return cast(PromptKind, listed)


class OpenAIGenerator:
    """Answers through an OpenAI-compatible `/chat/completions` endpoint."""

    def __init__(
        self,
        base_url: str,
        model: str,
        temperature: float = 0.0,
        max_tokens: int = 256,
        json_mode: JsonMode = "llama_cpp",
        seed: int | None = 0,
        timeout_s: float = 300.0,
        strict_ranges: bool = False,
        prompt: PromptKind | None = None,
    ) -> None:
        self.base_url, self.model = base_url, model
        self.prompt = prompt
        """The prompt variant to ask with; None: the one the server lists for the model (`chat.served_prompt`),
        so a trained model is asked as it was trained whichever prompt that was."""
        self.temperature, self.max_tokens = temperature, max_tokens
        self.json_mode, self.seed, self.timeout_s = json_mode, seed, timeout_s
        self.strict_ranges = strict_ranges
        # the trained 6G-LLM only ever wrote complete answers under the training grammar: serve it so
        self.complete = model == SIXG_MODEL_ID
        if self.complete:
            self.strict_ranges = True

    def __call__(self, task: Task) -> str:
        # For the trained 6G-LLM the schema narrowed to the task's state is what maestro's model server
        # decodes it under, with the training grammar's tokens (model-server/sixg.py).
        schema = answer_schema(integer_ranges_as_enums=self.strict_ranges, state=task.radio(), complete=self.complete)
        if self.prompt is None:
            self.prompt = listed_prompt(self.base_url, self.model)
        answer = chat_completion(
            self.base_url,
            self.model,
            build_messages(task, self.prompt or "plain"),
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            schema=schema,
            json_mode=self.json_mode,
            seed=self.seed,
            timeout_s=self.timeout_s,
        )
        return answer.content

    def describe(self) -> dict[str, Any]:
        return {
            "kind": "openai",
            "base_url": self.base_url,
            "model": self.model,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "json_mode": self.json_mode,
            "strict_ranges": self.strict_ranges,
            "complete_answers": self.complete,
            "prompt": self.prompt,
            "seed": self.seed,
        }
