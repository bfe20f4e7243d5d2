"""The 6G-LLM's prompt, and the step from its answer to an executable orchestration.

Prompt (`build_messages`), one-shot as in the paper's evaluation ("one-shot task completion rate"):

1. system: the role; the `link` fields the model may set, with their ranges, defaults and meaning read
   from `orchestration.schema.json` (the twin's single source of truth); the cross-field rules the
   schema cannot express (PRBs per carrier, antennas ≥ layers, HARQ); how the choices act on QoS; the
   answer format (one JSON object: the `link` only).
2. user / assistant: one worked example (`EXAMPLE_TASK` and its answer `EXAMPLE_LINK`, a link the twin
   confirms meets the example's QoS at system level).
3. user: the task: its description, its QoS needs, its radio conditions (stated as fixed: the scenario
   belongs to the task, not to the model).

The system message and the example are the same for every task, so a server with a prompt cache
(llama.cpp's) only processes the last message anew.

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

from twin_bridge.orchestration import MAX_PRBS, LinkConfig, Orchestration, ScenarioConfig, schema_document
from twin_bridge.service import parse_plan

from sixg_learner.tasks import Qos, Task

ROLE = (
    "You are the 6G-LLM, the orchestrator of a 6G radio access network. An upper-layer service states what "
    "it needs from the network; you configure the physical-layer processing chain of the NR uplink (PUSCH) "
    "that carries it. A digital twin of the network runs your configuration in the task's radio conditions "
    "and measures its throughput, delay and bit error rate. Meet every requirement, and waste as little as "
    "possible: throughput beyond the need, unused delay budget and unused error budget all count as waste."
)

HOW_CHOICES_ACT = (
    "How the choices act:\n"
    "- Throughput grows with num_prbs, the MCS (bits per resource element) and num_layers.\n"
    "- A higher MCS needs a higher SNR; above what the SNR supports, blocks fail and throughput collapses.\n"
    "- Each layer gets the SNR times num_rx_antennas / num_layers: more receive antennas per layer help.\n"
    "- channel_estimator perfect is about 1 dB better than ls.\n"
    "- Delay is one slot plus processing: a wider subcarrier spacing shortens both, fewer LDPC iterations "
    "shorten decoding, and every HARQ retransmission adds 8 slots.\n"
    "- The bit error rate falls steeply as the SNR margin of the MCS grows."
)

ANSWER_FORMAT = (
    "Answer with one JSON object holding the link fields and nothing else: no scenario, no explanation. "
    "Fields you leave out take their default."
)

EXAMPLE_TASK = Task(
    id="example",
    description="A video call from a laptop in a café: the camera stream goes up to the conferencing server.",
    qos=Qos(min_throughput_mbps=8.0, max_delay_ms=3.0, max_ber=1e-3),
    scenario=ScenarioConfig(
        channel_model="tdl-a", snr_db=12.0, ue_speed_mps=1.0, carrier_frequency_ghz=3.5, delay_spread_ns=100.0
    ),
)
"""The one-shot example (not drawn from the task templates)."""

EXAMPLE_LINK = LinkConfig(
    mcs_index=13,
    mcs_table=1,
    num_prbs=14,
    subcarrier_spacing_khz=30,
    bandwidth_mhz=20,
    num_layers=1,
    num_tx_antennas=1,
    num_rx_antennas=2,
    channel_estimator="ls",
    detector="lmmse",
    ldpc_iterations=20,
    harq_enabled=False,
    harq_max_retransmissions=0,
)
"""The example's answer: 8.19 Mbps, 1.29 ms, BLER 0 on the system-level twin (a test checks it satisfies)."""


_SPEC_REFERENCE = re.compile(r",? ?\((?:[^()]*(?:TS |Table|5\.1\.3)[^()]*)\)|, TS [0-9.-]+ Table [0-9.-]+")


def _first_sentence(text: str) -> str:
    """The description's first sentence without its specification references (they cost tokens, not sense)."""
    match = re.match(r"(.+?\.)(\s|$)", text)
    sentence = match.group(1) if match else text
    return _SPEC_REFERENCE.sub("", sentence).replace(" .", ".")


def _field_line(name: str, spec: dict[str, Any], required: bool) -> str:
    if "enum" in spec:
        values = " | ".join(json.dumps(v) for v in spec["enum"])
        kind = f"one of {values}"
    elif spec.get("type") == "integer":
        kind = f"integer {spec['minimum']}..{spec['maximum']}"
    elif spec.get("type") == "boolean":
        kind = "true | false"
    else:
        kind = str(spec.get("type"))
    default = "required" if required else f"default {json.dumps(spec.get('default'))}"
    return f"- {name}: {kind}, {default}. {_first_sentence(spec.get('description', ''))}"


def link_fields_text() -> str:
    """The `link` fields with ranges, defaults and their first descriptive sentence, from the schema."""
    link = schema_document()["properties"]["link"]
    required = set(link.get("required", []))
    return "\n".join(_field_line(name, spec, name in required) for name, spec in link["properties"].items())


def rules_text() -> str:
    """The cross-field rules `Orchestration` enforces and the MCS the twin cannot run."""
    carriers = []
    for scs, table in MAX_PRBS.items():
        pairs = " ".join(f"{bw}/{prbs}" for bw, prbs in table.items() if prbs is not None)
        carriers.append(f"  {scs} kHz: {pairs}")
    return (
        "Rules (a configuration breaking one is rejected):\n"
        "- num_prbs must fit the carrier. Largest num_prbs per subcarrier_spacing_khz, as bandwidth_mhz/num_prbs "
        "(a bandwidth not listed does not exist at that spacing):\n" + "\n".join(carriers) + "\n"
        "- mcs_table 2 ends at mcs_index 27; the twin cannot run mcs_index 0-2 of table 1 or 0-1 of table 2.\n"
        "- num_layers <= num_tx_antennas and num_layers <= num_rx_antennas.\n"
        "- harq_max_retransmissions > 0 needs harq_enabled true."
    )


@lru_cache(maxsize=1)
def system_prompt() -> str:
    return "\n\n".join([ROLE, "Link fields:\n" + link_fields_text(), rules_text(), HOW_CHOICES_ACT, ANSWER_FORMAT])


def _number(value: float) -> str:
    return f"{value:g}"


def radio_text(scenario: ScenarioConfig) -> str:
    parts = [f"channel model {scenario.channel_model}", f"SNR {_number(scenario.snr_db)} dB per receive antenna"]
    if scenario.channel_model != "awgn":
        parts.append(f"UE speed {_number(scenario.ue_speed_mps)} m/s")
        parts.append(f"delay spread {_number(scenario.delay_spread_ns)} ns")
    parts.append(f"carrier {_number(scenario.carrier_frequency_ghz)} GHz")
    return ", ".join(parts)


def task_prompt(task: Task) -> str:
    """The user message for one task."""
    qos = task.qos
    return (
        f"Task: {task.description}\n"
        f"QoS needs: throughput at least {_number(qos.min_throughput_mbps)} Mbps, delay at most "
        f"{_number(qos.max_delay_ms)} ms, bit error rate at most {_number(qos.max_ber)}.\n"
        f"Radio conditions (fixed by the environment, not yours to choose): {radio_text(task.radio())}.\n"
        "Give the link configuration as JSON."
    )


def answer_text(link: LinkConfig) -> str:
    """A link as the model is asked to write it: compact JSON, every field in schema order."""
    return json.dumps(link.model_dump(mode="json"), separators=(",", ":"))


def build_messages(task: Task) -> list[dict[str, str]]:
    """The chat messages for a task: system, the one-shot example (user + assistant), the task."""
    return [
        {"role": "system", "content": system_prompt()},
        {"role": "user", "content": task_prompt(EXAMPLE_TASK)},
        {"role": "assistant", "content": answer_text(EXAMPLE_LINK)},
        {"role": "user", "content": task_prompt(task)},
    ]


def answer_schema(integer_ranges_as_enums: bool = False) -> dict[str, Any]:
    """JSON Schema of an answer (the schema's `link` object), for constrained decoding.

    llama.cpp's schema-to-grammar conversion (the version served here) ignores `minimum`/`maximum`, so
    the plain schema lets e.g. `"num_layers": 5` through. With `integer_ranges_as_enums` every bounded
    integer becomes an enum of its values (same set, a grammar that enforces it).
    """
    schema = copy.deepcopy(schema_document()["properties"]["link"])
    if integer_ranges_as_enums:
        for spec in schema["properties"].values():
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
