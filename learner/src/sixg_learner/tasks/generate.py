"""Drawing feasible tasks: upper-layer services with QoS needs, each checked on the twin.

The generator (`generate_tasks`) draws tasks (`task.Task`) from `TEMPLATES` of upper-layer services,
each with QoS ranges and a range of radio conditions, optionally paraphrases the description with the
local LLM, and keeps a task only if it is FEASIBLE: some link of `feasibility_grid()` satisfies its QoS
on the twin (system level) in its scenario. The best such link (highest eq. (2) reward) is stored with
the task as its `witness`: proof of feasibility and a reference score ("grid best") for evaluations;
the model never sees it. Infeasible draws are dropped and counted.

    python -m sixg_learner.tasks.generate --n 200 --seed 1 --out data/sixg/tasks
    python -m sixg_learner.tasks.generate --check learner/data/tasks-1d2f8cbb5472.jsonl   # re-run the witnesses
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from twin_bridge.orchestration import MAX_PRBS, LinkConfig, Orchestration, ScenarioConfig, TwinResult, state_violations

from sixg_learner.chat import LOCAL_MODEL_ID, ChatError, chat_completion, model_endpoint
from sixg_learner.tasks.reward import DEFAULT_WEIGHTS, RewardWeights, Verdict, judge
from sixg_learner.tasks.scoring import PlanEvaluator, system_level_evaluator
from sixg_learner.tasks.task import FeasibilityWitness, Qos, Task, load_tasks, write_tasks

# --------------------------------------------------------------------------------------------------------------------
# Templates of upper-layer services
# --------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskTemplate:
    """An upper-layer service: phrasings of its description and the ranges its QoS and radio are drawn from.

    Throughput and BER are drawn log-uniformly, delay, SNR, speed and delay spread uniformly. The
    descriptions carry no numbers: the QoS is given to the model as numbers beside them, and a
    paraphrase can then never corrupt a requirement.
    """

    key: str
    descriptions: tuple[str, ...]
    throughput_mbps: tuple[float, float]
    delay_ms: tuple[float, float]
    ber: tuple[float, float]
    snr_db: tuple[float, float]
    channel_models: tuple[str, ...]
    ue_speed_mps: tuple[float, float] = (0.0, 0.0)
    carrier_frequency_ghz: tuple[float, ...] = (3.5,)
    delay_spread_ns: tuple[float, float] = (100.0, 100.0)
    # The system state (drawn per task): what the UE has, what the cell can give it now.
    ue_antennas: tuple[int, ...] = (1, 2, 4)
    cell_antennas: tuple[int, ...] = (2, 4, 8)
    free_prbs: tuple[int, int] = (8, 273)
    """Free PRBs on the shared carrier, drawn log-uniformly (a loaded cell leaves few)."""
    measured_csi_probability: float = 0.3
    max_ldpc_iterations: tuple[int, ...] = (4, 6, 8, 10, 15, 20, 25)


TEMPLATES: tuple[TaskTemplate, ...] = (
    TaskTemplate(
        key="video_4k_uplink",
        descriptions=(
            "A broadcast camera at a stadium sends live 4K video to the production studio over the uplink.",
            "Stream live 4K footage from a news crew's camera to the newsroom for immediate broadcast.",
            "A fixed 4K surveillance camera on a city square uploads its video feed to the monitoring centre.",
        ),
        throughput_mbps=(25.0, 100.0),
        delay_ms=(2.5, 10.0),
        ber=(1e-3, 1e-2),
        snr_db=(8.0, 25.0),
        channel_models=("cdl-a", "cdl-c", "tdl-a"),
        ue_speed_mps=(0.0, 2.0),
        carrier_frequency_ghz=(3.5, 4.9),
        delay_spread_ns=(50.0, 300.0),
        ue_antennas=(2, 4),
    ),
    TaskTemplate(
        key="xr_split_rendering",
        descriptions=(
            "An AR headset uploads camera frames and head pose to an edge server that renders the scene for it.",
            "Split-rendered extended reality: the glasses send their sensor stream to the edge renderer.",
            "A mixed-reality training session streams the trainee's headset cameras to the edge in real time.",
        ),
        throughput_mbps=(20.0, 120.0),
        delay_ms=(1.2, 3.0),
        ber=(1e-4, 1e-3),
        snr_db=(10.0, 28.0),
        channel_models=("cdl-c", "tdl-a"),
        ue_speed_mps=(0.0, 1.5),
        carrier_frequency_ghz=(3.5, 4.9),
        delay_spread_ns=(30.0, 100.0),
        ue_antennas=(2, 4),
    ),
    TaskTemplate(
        key="industrial_motion_control",
        descriptions=(
            "A motion controller on the factory floor sends cyclic set-points to a robot arm's drives.",
            "Closed-loop control of a packaging line: sensor readings go to the controller every cycle.",
            "An automated guided vehicle reports its position to the fleet controller and must not miss a cycle.",
        ),
        throughput_mbps=(0.5, 5.0),
        delay_ms=(0.8, 1.5),
        ber=(1e-6, 1e-5),
        snr_db=(5.0, 20.0),
        channel_models=("tdl-a", "tdl-c"),
        ue_speed_mps=(0.0, 3.0),
        carrier_frequency_ghz=(3.7, 4.0),
        delay_spread_ns=(20.0, 60.0),
        ue_antennas=(1, 2),
        free_prbs=(4, 120),
    ),
    TaskTemplate(
        key="massive_iot_telemetry",
        descriptions=(
            "A battery-powered water meter in a basement reports its readings to the utility's platform.",
            "Environmental sensors spread over a farm upload soil moisture and temperature samples.",
            "A smart parking sensor at the edge of the cell reports occupancy changes to the city's server.",
        ),
        throughput_mbps=(0.05, 0.5),
        delay_ms=(4.0, 20.0),
        ber=(1e-3, 1e-2),
        snr_db=(-8.0, 5.0),
        channel_models=("awgn", "tdl-c"),
        carrier_frequency_ghz=(0.7, 0.9),
        delay_spread_ns=(100.0, 300.0),
        ue_antennas=(1,),
        free_prbs=(2, 60),
        measured_csi_probability=0.0,
        max_ldpc_iterations=(4, 6, 8, 10),
    ),
    TaskTemplate(
        key="voice_call",
        descriptions=(
            "A voice-over-NR call from a handset: the speaker's encoded voice frames go up to the network.",
            "A push-to-talk call of a first responder carries speech to the dispatch centre.",
            "A passenger on a bus makes a voice call from a smartphone.",
        ),
        throughput_mbps=(0.1, 0.5),
        delay_ms=(2.0, 6.0),
        ber=(1e-3, 1e-2),
        snr_db=(0.0, 15.0),
        channel_models=("tdl-a", "tdl-c", "cdl-a"),
        ue_speed_mps=(0.0, 30.0),
        carrier_frequency_ghz=(0.7, 3.5),
        delay_spread_ns=(100.0, 300.0),
        ue_antennas=(1, 2),
        free_prbs=(4, 100),
    ),
    TaskTemplate(
        key="remote_driving",
        descriptions=(
            "A teleoperated car streams its front cameras and sensor data to a remote driver.",
            "A remote operator drives a delivery vehicle through city traffic from the control room.",
            "A driverless shuttle hands over to a remote safety driver and uploads its camera feeds.",
        ),
        throughput_mbps=(10.0, 80.0),
        delay_ms=(1.2, 3.0),
        ber=(1e-5, 1e-4),
        snr_db=(5.0, 20.0),
        channel_models=("tdl-c", "cdl-c"),
        ue_speed_mps=(8.0, 33.0),
        carrier_frequency_ghz=(3.5, 5.9),
        delay_spread_ns=(100.0, 300.0),
        ue_antennas=(2, 4),
    ),
    TaskTemplate(
        key="bulk_upload",
        descriptions=(
            "A film crew uploads the day's raw footage from location to the cloud.",
            "A hospital's imaging department backs up a batch of scans to the cloud archive.",
            "An enterprise site synchronises a large software build to its data centre.",
        ),
        throughput_mbps=(150.0, 2000.0),
        delay_ms=(3.0, 15.0),
        ber=(1e-2, 1e-1),
        snr_db=(10.0, 30.0),
        channel_models=("awgn", "cdl-a", "cdl-c"),
        ue_speed_mps=(0.0, 1.0),
        carrier_frequency_ghz=(3.5, 4.9),
        delay_spread_ns=(30.0, 300.0),
        ue_antennas=(2, 4),
        free_prbs=(60, 273),
    ),
    TaskTemplate(
        key="drone_inspection",
        descriptions=(
            "A drone inspecting a power line sends its first-person video to the pilot and receives no lag.",
            "An inspection drone flying along a wind farm streams video and telemetry to the ground station.",
            "A firefighting drone relays its thermal camera feed to the incident commander.",
        ),
        throughput_mbps=(5.0, 30.0),
        delay_ms=(1.5, 4.0),
        ber=(1e-4, 1e-3),
        snr_db=(3.0, 18.0),
        channel_models=("awgn", "cdl-a"),
        ue_speed_mps=(5.0, 20.0),
        carrier_frequency_ghz=(3.5,),
        delay_spread_ns=(10.0, 50.0),
        ue_antennas=(1, 2),
    ),
    TaskTemplate(
        key="telesurgery_haptics",
        descriptions=(
            "A surgeon's console sends haptic and video feedback for a remote robotic operation.",
            "Tele-operated ultrasound: the haptic probe and its video are sent to the remote specialist.",
            "A remote rehabilitation robot exchanges force feedback with the therapist's station.",
        ),
        throughput_mbps=(1.0, 20.0),
        delay_ms=(0.8, 1.5),
        ber=(1e-6, 1e-5),
        snr_db=(15.0, 28.0),
        channel_models=("cdl-c", "tdl-a"),
        carrier_frequency_ghz=(3.5, 4.9),
        delay_spread_ns=(20.0, 60.0),
        measured_csi_probability=0.5,
    ),
    TaskTemplate(
        key="smart_grid_protection",
        descriptions=(
            "A substation's protection relay sends trip signals to the neighbouring substation.",
            "Differential protection of a power line exchanges current samples between its two ends.",
            "A distribution-grid fault detector reports faults to the automation controller.",
        ),
        throughput_mbps=(0.2, 2.0),
        delay_ms=(1.0, 2.0),
        ber=(1e-6, 1e-5),
        snr_db=(0.0, 12.0),
        channel_models=("awgn", "tdl-a"),
        carrier_frequency_ghz=(0.7, 3.5),
        delay_spread_ns=(30.0, 100.0),
        ue_antennas=(1, 2),
        free_prbs=(4, 100),
    ),
)


# --------------------------------------------------------------------------------------------------------------------
# Drawing a task
# --------------------------------------------------------------------------------------------------------------------


def _round_significant(value: float, digits: int = 2) -> float:
    if value == 0:
        return 0.0
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    return 10 ** rng.uniform(math.log10(low), math.log10(high))


def _nice_ber(value: float) -> float:
    """Rounds to 1, 2 or 5 × 10^k (a tolerance stated the way people state one)."""
    exponent = math.floor(math.log10(value))
    mantissa = min((1.0, 2.0, 5.0, 10.0), key=lambda m: abs(math.log10(value / (m * 10.0**exponent))))
    return float(f"{mantissa * 10.0**exponent:.0e}")


def draw_task(rng: random.Random, template: TaskTemplate, task_id: str) -> Task:
    """One candidate task from a template (not yet checked for feasibility)."""
    lo_thr, hi_thr = template.throughput_mbps
    lo_del, hi_del = template.delay_ms
    lo_ber, hi_ber = template.ber
    qos = Qos(
        min_throughput_mbps=_round_significant(_log_uniform(rng, lo_thr, hi_thr)),
        max_delay_ms=_round_significant(rng.uniform(lo_del, hi_del)),
        max_ber=_nice_ber(_log_uniform(rng, lo_ber, hi_ber)),
    )
    channel = rng.choice(template.channel_models)
    scenario = ScenarioConfig(
        channel_model=channel,  # type: ignore[arg-type]
        snr_db=round(rng.uniform(*template.snr_db) * 2) / 2,
        ue_speed_mps=0.0 if channel == "awgn" else float(round(rng.uniform(*template.ue_speed_mps))),
        carrier_frequency_ghz=rng.choice(template.carrier_frequency_ghz),
        delay_spread_ns=float(round(rng.uniform(*template.delay_spread_ns), -1)),
        ue_antennas=rng.choice(template.ue_antennas),  # type: ignore[arg-type]
        cell_antennas=rng.choice(template.cell_antennas),  # type: ignore[arg-type]
        free_prbs=round(_log_uniform(rng, *template.free_prbs)),
        measured_csi=rng.random() < template.measured_csi_probability,
        max_ldpc_iterations=rng.choice(template.max_ldpc_iterations),
    )
    return Task(
        id=task_id,
        description=rng.choice(template.descriptions),
        qos=qos,
        scenario=scenario,
        template=template.key,
    )


# --------------------------------------------------------------------------------------------------------------------
# Feasibility on the twin
# --------------------------------------------------------------------------------------------------------------------

_GRID_CARRIERS: dict[int, tuple[int, ...]] = {15: (10, 50), 30: (40, 100), 60: (40, 100)}
_GRID_MCS: dict[int, tuple[int, ...]] = {1: tuple(range(3, 29, 2)), 2: tuple(range(2, 28, 3))}
_GRID_ANTENNAS: tuple[tuple[int, int, int], ...] = ((1, 1, 1), (1, 1, 4), (2, 2, 4), (4, 4, 8))
_GRID_LDPC_ITERATIONS: tuple[int, ...] = (5, 20)


def _grid_prbs(max_prbs: int) -> list[int]:
    return sorted({p for p in (2, 8, -(-max_prbs // 4), -(-max_prbs // 2), max_prbs) if p <= max_prbs})


@lru_cache(maxsize=1)
def feasibility_grid() -> tuple[LinkConfig, ...]:
    """The links searched for a witness: 5280 plans, each one the twin can run at system level.

    SCS × carrier {15 kHz: 10, 50 MHz; 30 kHz: 40, 100 MHz; 60 kHz: 40, 100 MHz} × PRBs {2, 8, ¼, ½, all
    of the carrier} × MCS {table 1: 3, 5, …, 27; table 2: 2, 5, …, 26} × (layers, tx, rx antennas)
    {(1,1,1), (1,1,4), (2,2,4), (4,4,8)} × LDPC iterations {5, 20}; LS channel estimation, LMMSE, no HARQ
    (at system level HARQ only adds delay and its per-attempt BLER is the BER, so it never makes a task
    feasible). Deliberately conservative: perfect CSI, HARQ and the values between the grid points are
    left to the model, so a dropped task may still be feasible, but a kept one always is.
    """
    links = []
    for scs, carriers in _GRID_CARRIERS.items():
        for bandwidth in carriers:
            max_prbs = MAX_PRBS[scs][bandwidth]
            assert max_prbs is not None
            for prbs in _grid_prbs(max_prbs):
                for table, indices in _GRID_MCS.items():
                    for mcs in indices:
                        for layers, tx, rx in _GRID_ANTENNAS:
                            for iterations in _GRID_LDPC_ITERATIONS:
                                links.append(
                                    LinkConfig(
                                        mcs_index=mcs,
                                        mcs_table=table,  # type: ignore[arg-type]
                                        num_prbs=prbs,
                                        subcarrier_spacing_khz=scs,  # type: ignore[arg-type]
                                        bandwidth_mhz=bandwidth,  # type: ignore[arg-type]
                                        num_layers=layers,
                                        num_tx_antennas=tx,  # type: ignore[arg-type]
                                        num_rx_antennas=rx,  # type: ignore[arg-type]
                                        channel_estimator="ls",
                                        detector="lmmse",
                                        ldpc_iterations=iterations,
                                    )
                                )
    return tuple(links)


def fit_to_state(link: LinkConfig, scenario: ScenarioConfig) -> LinkConfig | None:
    """A grid link brought inside the task's system state: PRBs and LDPC iterations capped at what is free
    (the grid's "all of the carrier" becomes "all that is free"), None where the antennas do not fit."""
    prbs = min(link.num_prbs, scenario.free_prbs)
    iterations = min(link.ldpc_iterations, scenario.max_ldpc_iterations)
    fitted = link.model_copy(update={"num_prbs": prbs, "ldpc_iterations": iterations})
    return None if state_violations(fitted, scenario) else fitted


def task_grid(scenario: ScenarioConfig, grid: Sequence[LinkConfig] | None = None) -> list[LinkConfig]:
    """The feasibility grid as it applies to one task's system state (duplicates after capping dropped)."""
    seen: dict[str, LinkConfig] = {}
    for link in feasibility_grid() if grid is None else grid:
        fitted = fit_to_state(link, scenario)
        if fitted is not None:
            seen.setdefault(fitted.model_dump_json(), fitted)
    return list(seen.values())


def find_witness(
    task: Task,
    evaluate_plans: PlanEvaluator = system_level_evaluator,
    grid: Sequence[LinkConfig] | None = None,
    weights: RewardWeights = DEFAULT_WEIGHTS,
) -> FeasibilityWitness | None:
    """The grid link with the highest eq. (2) reward among those satisfying the task's QoS, or None."""
    scenario = task.radio()
    links = task_grid(scenario, grid)
    plans = [Orchestration(link=link, scenario=scenario) for link in links]
    required = task.requirement()
    best: FeasibilityWitness | None = None
    for plan, result in zip(plans, evaluate_plans(plans), strict=True):
        if result is None:
            continue
        verdict = judge(result, plan, required, weights)
        if not verdict.satisfied:
            continue
        if best is None or verdict.reward > best.reward:
            best = witness_of(plan, result, verdict)
    return best


def witness_of(plan: Orchestration, result: TwinResult, verdict: Verdict) -> FeasibilityWitness:
    """A satisfying plan as a task's witness: its link and what the twin measured for it."""
    return FeasibilityWitness(
        link=plan.link,
        fidelity=result.fidelity,
        throughput_mbps=verdict.achieved.throughput_mbps,
        latency_ms=verdict.achieved.latency_ms,
        ber=verdict.achieved.ber,
        reward=verdict.reward,
    )


def check_witness(task: Task, evaluate_plans: PlanEvaluator = system_level_evaluator) -> tuple[bool, str]:
    """Re-runs a task's witness on the twin: (satisfies the QoS?, what it reached)."""
    if task.witness is None:
        return False, "no witness"
    plan = Orchestration(link=task.witness.link, scenario=task.radio())
    result = evaluate_plans([plan])[0]
    if result is None:
        return False, "the twin refuses the witness"
    verdict = judge(result, plan, task.requirement())
    achieved = verdict.achieved
    summary = f"thr {achieved.throughput_mbps:.3g} Mbps, delay {achieved.latency_ms:.3g} ms, ber {achieved.ber:.2g}"
    return verdict.satisfied, summary


# --------------------------------------------------------------------------------------------------------------------
# Paraphrase with the local LLM (optional)
# --------------------------------------------------------------------------------------------------------------------

Paraphraser = Callable[[str, int], str | None]
"""(description, seed) → a reworded description, or None to keep the original."""

_PARAPHRASE_SCHEMA = {
    "type": "object",
    "properties": {"description": {"type": "string", "minLength": 20, "maxLength": 300}},
    "required": ["description"],
}


def acceptable_paraphrase(original: str, candidate: str) -> bool:
    """Plausible length, no numbers the original lacks (a paraphrase must not invent requirements), not a copy."""
    text = candidate.strip()
    if not 20 <= len(text) <= 300 or text == original.strip():
        return False
    if any(ch.isdigit() for ch in text) and not any(ch.isdigit() for ch in original):
        return False
    return not any(ch in text for ch in "{}[]<>\n")


def llm_paraphraser(base_url: str, model: str, temperature: float = 0.8) -> Paraphraser:
    """Rewords descriptions with a chat model (schema-constrained JSON, llama.cpp form)."""

    def paraphrase(description: str, seed: int) -> str | None:
        messages = [
            {
                "role": "system",
                "content": "You reword service descriptions for a mobile network operator. Keep the meaning and "
                "the service, change the wording, one sentence, no numbers. Answer in JSON: "
                '{"description": "..."}',
            },
            {"role": "user", "content": description},
        ]
        try:
            answer = chat_completion(
                base_url,
                model,
                messages,
                max_tokens=120,
                temperature=temperature,
                schema=_PARAPHRASE_SCHEMA,
                seed=seed,
            )
            candidate = str(json.loads(answer.content)["description"])
        except (ChatError, ValueError, KeyError, TypeError):
            return None
        return candidate.strip() if acceptable_paraphrase(description, candidate) else None

    return paraphrase


# --------------------------------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------------------------------


@dataclass
class GenerationResult:
    tasks: list[Task]
    candidates: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    """Infeasible draws per template."""
    kept: Counter[str] = field(default_factory=Counter)
    paraphrased: int = 0
    paraphrase_rejected: int = 0

    def counts(self) -> dict[str, Any]:
        return {
            "tasks": len(self.tasks),
            "candidates": self.candidates,
            "infeasible": sum(self.dropped.values()),
            "kept_by_template": dict(sorted(self.kept.items())),
            "infeasible_by_template": dict(sorted(self.dropped.items())),
            "paraphrased": self.paraphrased,
            "paraphrase_rejected": self.paraphrase_rejected,
        }


def generate_tasks(
    n: int,
    seed: int,
    *,
    templates: Sequence[TaskTemplate] = TEMPLATES,
    paraphrase: Paraphraser | None = None,
    evaluate_plans: PlanEvaluator = system_level_evaluator,
    max_candidates: int | None = None,
    on_progress: Callable[[GenerationResult], None] | None = None,
) -> GenerationResult:
    """Draws candidates (template uniformly at random, then its ranges) until `n` are feasible.

    Deterministic for a seed (the paraphraser aside: an LLM at temperature > 0 is only as repeatable
    as its server). Stops after `max_candidates` draws (default 20·n) with fewer tasks rather than loop
    forever on templates the twin cannot serve.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if not templates:
        raise ValueError("no templates")
    rng = random.Random(seed)
    limit = 20 * n if max_candidates is None else max_candidates
    result = GenerationResult(tasks=[])
    while len(result.tasks) < n and result.candidates < limit:
        template = rng.choice(list(templates))
        task_id = f"s{seed}-{len(result.tasks):05d}-{template.key}"
        candidate = draw_task(rng, template, task_id)
        result.candidates += 1
        witness = find_witness(candidate, evaluate_plans)
        if witness is None:
            result.dropped[template.key] += 1
            continue
        update: dict[str, Any] = {"witness": witness}
        if paraphrase is not None:
            reworded = paraphrase(candidate.description, seed * 100_003 + len(result.tasks))
            if reworded is None:
                result.paraphrase_rejected += 1
            else:
                update["description"] = reworded
                result.paraphrased += 1
        result.tasks.append(candidate.model_copy(update=update))
        result.kept[template.key] += 1
        if on_progress is not None:
            on_progress(result)
    return result


# --------------------------------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate feasible upper-layer tasks with QoS needs (JSONL).")
    parser.add_argument("--n", type=int, default=200, help="feasible tasks wanted (default %(default)s)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("data/sixg/tasks"), help="output folder (%(default)s)")
    parser.add_argument("--paraphrase", action="store_true", help="reword descriptions with the local LLM")
    parser.add_argument("--base-url", default=None, help="chat endpoint for --paraphrase (default: the local server)")
    parser.add_argument("--model", default=None, help="model id for --paraphrase (default: smollm2-135m-instruct)")
    parser.add_argument("--check", type=Path, default=None, help="re-check the witnesses of a task file and exit")
    args = parser.parse_args(argv)

    if args.check is not None:
        tasks = load_tasks(args.check)
        bad = 0
        for task in tasks:
            ok, summary = check_witness(task)
            bad += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {task.id}: {summary}")
        print(f"{len(tasks) - bad}/{len(tasks)} witnesses satisfy their QoS on the twin")
        return 1 if bad else 0

    def progress(result: GenerationResult) -> None:
        if len(result.tasks) % 25 == 0:
            print(f"  {len(result.tasks)}/{args.n} feasible of {result.candidates} drawn", file=sys.stderr)

    def run(paraphraser: Paraphraser | None, endpoint: dict[str, str]) -> int:
        result = generate_tasks(args.n, args.seed, paraphrase=paraphraser, on_progress=progress)
        meta = {
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "generator": {"n": args.n, "seed": args.seed, "grid_links": len(feasibility_grid()), **endpoint},
            "counts": result.counts(),
        }
        path = write_tasks(result.tasks, args.out, meta)
        print(path)
        print(json.dumps(result.counts()))
        if len(result.tasks) < args.n:
            print(f"only {len(result.tasks)} of {args.n} tasks are feasible after {result.candidates} draws")
            return 1
        return 0

    if not args.paraphrase:
        return run(None, {})
    model = args.model or LOCAL_MODEL_ID
    with model_endpoint(args.base_url) as base_url:
        return run(llm_paraphraser(base_url, model), {"paraphrase_model": model})


if __name__ == "__main__":
    raise SystemExit(main())
