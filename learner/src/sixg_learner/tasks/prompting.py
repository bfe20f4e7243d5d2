"""The 6G-LLM's prompt, and the step from its answer to an executable orchestration.

Prompt (`build_messages`), zero-shot and short (with SmolLM2's chat template ~395 tokens plain, ~450 with the
link budget, ≤ 400 `compact`):

1. system: the role, how the choices act on the QoS, the answer format (`compact`: fewer words). The same for
   every task, so a server with a prompt cache (llama.cpp's) and the learner's shared prefix process it once.
2. user: the task: its description, its QoS needs, its radio conditions and the cell's state (antennas,
   free PRBs, measured CSI, decoder budget), all fixed by the environment; with the `link-budget`
   prompt one line more, the task's link budget (`link_budget.py`: the MCS its SNR carries with a
   margin, the PRBs for its throughput at it). A model is trained and served with one prompt; its
   checkpoint, shipped manifest and served entry say which (`PROMPTS`).

The fields, their ranges and the cross-field rules are not spelled out: the answer grammar (training,
`grammar.py`) and the JSON schema (serving, llama.cpp) enforce them. An earlier one-shot prompt
(~1,455 tokens) made copying its example the likeliest greedy answer.

`parse_orchestration(text, task)` is the paper's "interpreted to the executable code" step, c = f(a):
it finds the JSON object in the answer, takes the `link` from it (a bare link object, or the `link` of
a full orchestration whose `scenario` is then ignored), merges in the task's scenario, and validates the
result with twin_bridge's pydantic model (schema and cross-field rules). A failure is a `ParseFailure`
with a stage and a reason, never an exception.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from twin_bridge.orchestration import LinkConfig, Orchestration, ScenarioConfig, schema_document
from twin_bridge.service import parse_plan

from sixg_learner.tasks.link_budget import hint_text, lean_fit, lean_hint_text, link_budget
from sixg_learner.tasks.task import Task

ROLE = (
    "You are the 6G-LLM, the orchestrator of a 6G radio network. Configure the NR uplink (PUSCH) link that "
    "carries the task. A digital twin runs it in the task's radio conditions. Meet every QoS need with the "
    "least waste: throughput, delay and error budget beyond the need, and PRBs, antennas and decoder "
    "iterations taken from the cell, all count against you. A link that exceeds the cell state is rejected."
)

HOW_CHOICES_ACT = (
    "Throughput grows with num_prbs, MCS and num_layers. A higher MCS needs more SINR, else blocks fail. "
    "Each layer gets SNR x num_rx_antennas / num_layers. Fading (tdl/cdl) costs SINR unless there is "
    "diversity: more antennas, more PRBs, larger delay spread. With ls estimation a fast UE loses SINR; "
    "a wider subcarrier spacing (shorter slot) or perfect CSI helps. Delay is a slot plus processing: "
    "wider spacing and fewer LDPC iterations shorten it; fewer iterations cost SINR. HARQ adds 8 slots "
    "per retransmission."
)

ANSWER_FORMAT = "Answer with the link as one JSON object, fields in schema order, nothing else."

# The `compact` prompt's system message: the same facts in fewer words (196 tokens against 259), so that with
# the link budget the whole prompt stays within 400 tokens (issue 13). It drops the HARQ sentence and the
# per-layer formula, which the link budget line already resolves into an SINR and an MCS.
COMPACT_ROLE = (
    "You are the 6G-LLM, the orchestrator of a 6G radio network. Configure the NR uplink (PUSCH) link for the "
    "task; a digital twin runs it. Meet every QoS need with the least waste: throughput, delay and BER beyond "
    "the need, and the PRBs, antennas and LDPC iterations taken, count against you. A link beyond the cell "
    "state is rejected."
)

# The `lean` prompt's: compact's without its last sentence, which the grammar enforces anyway (a plan beyond the cell
# state cannot be written), so that the longer budget line still fits the 400 tokens.
LEAN_ROLE = COMPACT_ROLE.removesuffix(" A link beyond the cell state is rejected.")

COMPACT_HOW_CHOICES_ACT = (
    "Throughput grows with num_prbs, MCS and num_layers; a higher MCS needs more SINR. Layers split the SINR. "
    "Fading costs SINR unless antennas or PRBs add diversity. With ls estimation a fast UE loses SINR; a shorter "
    "slot or perfect CSI helps. Delay is a slot plus decoding; fewer LDPC iterations shorten it but cost SINR."
)


def _number(value: float) -> str:
    return f"{value:g}"


def radio_text(scenario: ScenarioConfig) -> str:
    parts = [f"{scenario.channel_model}", f"SNR {_number(scenario.snr_db)} dB"]
    if scenario.channel_model != "awgn":
        parts.append(f"speed {_number(scenario.ue_speed_mps)} m/s")
        parts.append(f"delay spread {_number(scenario.delay_spread_ns)} ns")
    parts.append(f"carrier {_number(scenario.carrier_frequency_ghz)} GHz")
    return ", ".join(parts)


def state_text(scenario: ScenarioConfig) -> str:
    """The cell state the link must fit (the paper's "hardware parameters, real-time operational status")."""
    return (
        f"UE antennas {scenario.ue_antennas}, cell antennas {scenario.cell_antennas}, "
        f"free PRBs {scenario.free_prbs}, measured CSI {'yes' if scenario.measured_csi else 'no'}, "
        f"decoder budget {scenario.max_ldpc_iterations} LDPC iterations"
    )


PromptKind = Literal["plain", "link-budget", "compact", "lean"]
PROMPTS: tuple[PromptKind, ...] = ("plain", "link-budget", "compact", "lean")
"""`plain`: the task, its needs, its radio and its cell state. `link-budget`: the same and one line more,
the task's link budget (`tasks.link_budget`: the MCS its SNR carries with a margin, the PRBs for its
throughput). `compact`: link-budget's user message under a shorter system message (≤ 400 tokens in all
with SmolLM2's chat template). `lean`: compact's system message less one sentence, and a budget line that also names the
budget's leanest plan (`link_budget.lean_fit`: the MCS and PRBs nearest the need, the LDPC iterations its
spare SINR allows), within the same 400 tokens. A model is trained and served with one of them; its checkpoint
and manifest say which."""


@lru_cache(maxsize=len(PROMPTS))
def system_prompt(prompt: PromptKind = "plain") -> str:
    """Zero-shot: no worked example to copy (a fixed one anchored every greedy answer to its own plan)."""
    if prompt == "lean":
        return "\n".join([LEAN_ROLE, COMPACT_HOW_CHOICES_ACT, ANSWER_FORMAT])
    if prompt == "compact":
        return "\n".join([COMPACT_ROLE, COMPACT_HOW_CHOICES_ACT, ANSWER_FORMAT])
    if prompt not in PROMPTS:
        raise ValueError(f"unknown prompt {prompt!r}: one of {', '.join(PROMPTS)}")
    return "\n".join([ROLE, HOW_CHOICES_ACT, ANSWER_FORMAT])


def task_prompt(task: Task, prompt: PromptKind = "plain") -> str:
    """The user message for one task."""
    qos = task.qos
    scenario = task.radio()
    text = (
        f"Task: {task.description}\n"
        f"Needs: throughput >= {_number(qos.min_throughput_mbps)} Mbps, delay <= {_number(qos.max_delay_ms)} ms, "
        f"BER <= {_number(qos.max_ber)}.\n"
        f"Radio: {radio_text(scenario)}.\n"
        f"Cell state: {state_text(scenario)}."
    )
    if prompt in ("link-budget", "compact"):
        text += "\n" + hint_text(link_budget(task))
    elif prompt == "lean":
        budget = link_budget(task)
        text += "\n" + lean_hint_text(budget, lean_fit(task, budget))
    elif prompt != "plain":
        raise ValueError(f"unknown prompt {prompt!r}: one of {', '.join(PROMPTS)}")
    return text


def answer_text(link: LinkConfig) -> str:
    """A link as the model is asked to write it: compact JSON, every field in schema order."""
    return json.dumps(link.model_dump(mode="json"), separators=(",", ":"))


def build_messages(task: Task, prompt: PromptKind = "plain") -> list[dict[str, str]]:
    """The chat messages for a task: the system message, then the task (zero-shot)."""
    return [
        {"role": "system", "content": system_prompt(prompt)},
        {"role": "user", "content": task_prompt(task, prompt)},
    ]


def answer_schema(
    integer_ranges_as_enums: bool = False, state: ScenarioConfig | None = None, complete: bool = False
) -> dict[str, Any]:
    """JSON Schema of an answer (the schema's `link` object), for constrained decoding.

    llama.cpp's schema-to-grammar conversion (the version served here) ignores `minimum`/`maximum`, so
    the plain schema lets e.g. `"num_layers": 5` through. With `integer_ranges_as_enums` every bounded
    integer becomes an enum of its values (same set, a grammar that enforces it). With a task's
    scenario (`state`), the fields its system state bounds are narrowed to what it allows (free PRBs,
    antennas, measured CSI, decoder budget), so a served model cannot write a plan the cell refuses.
    `complete` requires every field and a runnable MCS (how the trained 6G-LLM is served).
    """
    schema = copy.deepcopy(schema_document()["properties"]["link"])
    props = schema["properties"]
    if state is not None:
        props["num_prbs"]["maximum"] = min(props["num_prbs"]["maximum"], state.free_prbs)
        props["num_layers"]["maximum"] = min(props["num_layers"]["maximum"], state.ue_antennas, state.cell_antennas)
        props["num_tx_antennas"]["enum"] = [n for n in props["num_tx_antennas"]["enum"] if n <= state.ue_antennas]
        props["num_rx_antennas"]["enum"] = [n for n in props["num_rx_antennas"]["enum"] if n <= state.cell_antennas]
        props["ldpc_iterations"]["maximum"] = min(props["ldpc_iterations"]["maximum"], state.max_ldpc_iterations)
        if not state.measured_csi:
            props["channel_estimator"]["enum"] = ["ls"]
        for name in ("num_tx_antennas", "num_rx_antennas", "channel_estimator"):
            if props[name].get("default") not in props[name]["enum"]:
                props[name]["default"] = props[name]["enum"][0]
        if props["ldpc_iterations"].get("default", 0) > props["ldpc_iterations"]["maximum"]:
            props["ldpc_iterations"]["default"] = props["ldpc_iterations"]["maximum"]
    if complete:
        # What the training grammar enforces, as far as a JSON schema can: every field (in order), and
        # no MCS the twin cannot run. Without it llama.cpp lets the served model stop after the two
        # required fields, a format the trained policy never wrote (0 of 20 served answers ran).
        schema["required"] = list(props)
        props["mcs_index"]["minimum"] = max(props["mcs_index"]["minimum"], 3)
    if integer_ranges_as_enums:
        for spec in props.values():
            if spec.get("type") == "integer" and "minimum" in spec and "maximum" in spec:
                spec["enum"] = list(range(spec.pop("minimum"), spec.pop("maximum") + 1))
    return schema


# --------------------------------------------------------------------------------------------------------------------
# Answer → orchestration
# --------------------------------------------------------------------------------------------------------------------

FailureStage = Literal["no_json", "not_object", "invalid"]


@dataclass(frozen=True)
class ParseFailure:
    """Why an answer is not an executable orchestration.

    stage: ``no_json`` (no complete JSON value in the text), ``not_object`` (JSON, but not an object),
    ``invalid`` (the link breaks the schema or a cross-field rule).
    """

    stage: FailureStage
    reason: str


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


def extract_json(text: str) -> tuple[object, None] | tuple[None, str]:
    """The first complete JSON object in `text` (whole text, a ``` fence, or embedded in prose).

    Returns (value, None), or (None, reason). A text that is JSON but not an object returns that value.
    """
    body = text.strip()
    if not body:
        return None, "empty answer"
    candidates = [body, *(m.group(1).strip() for m in _FENCE.finditer(body))]
    for candidate in candidates:
        try:
            return json.loads(candidate), None
        except json.JSONDecodeError:
            continue
    decoder = json.JSONDecoder()
    last_error: json.JSONDecodeError | None = None
    for match in re.finditer(r"\{", body):
        try:
            value, _ = decoder.raw_decode(body, match.start())
        except json.JSONDecodeError as err:
            last_error = last_error or err
            continue
        return value, None
    if last_error is not None:
        return None, f"no complete JSON object (the first '{{' does not parse: {last_error.msg})"
    return None, "no JSON object in the answer"


def parse_answer(text: str, task: Task) -> tuple[Orchestration | ParseFailure, bool]:
    """Like `parse_orchestration`, also saying whether the answer carried a scenario that was ignored."""
    value, error = extract_json(text)
    if error is not None:
        return ParseFailure("no_json", error), False
    if not isinstance(value, dict):
        return ParseFailure("not_object", f"the answer is a JSON {type(value).__name__}, not an object"), False
    scenario_ignored = False
    link: object = value
    if "link" in value and set(value) <= {"link", "scenario"}:
        link = value["link"]
        scenario_ignored = "scenario" in value
    try:
        plan = parse_plan({"link": link, "scenario": task.radio().model_dump()})
    except ValueError as err:
        return ParseFailure("invalid", str(err)), scenario_ignored
    return plan, scenario_ignored


def parse_orchestration(text: str, task: Task) -> Orchestration | ParseFailure:
    """The model's answer as an executable orchestration in the task's scenario, or why it is not one."""
    return parse_answer(text, task)[0]
