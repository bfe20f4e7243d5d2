"""The link budget: the MCS the task's SNR carries with a margin, the PRBs for its throughput, and the prompt line."""

from __future__ import annotations

import json
import math

import pytest
from sixg_learner.files import repository_root
from sixg_learner.tasks.link_budget import (
    LS_LOSS_DB,
    MARGIN_DB,
    bler_target,
    hint_text,
    ldpc_iterations_for,
    lean_fit,
    lean_hint_text,
    lean_rule_link,
    link_budget,
    mcs_thresholds_db,
    rule_link,
)
from sixg_learner.tasks.prompting import answer_text, build_messages, task_prompt
from sixg_learner.tasks.task import Qos, Task, load_tasks
from twin_bridge import nr
from twin_bridge.orchestration import Orchestration, ScenarioConfig

REPO = repository_root()
FADED = Task(
    id="lb1",
    description="A drone relays its thermal camera to the incident commander.",
    qos=Qos(min_throughput_mbps=8.1, max_delay_ms=2.8, max_ber=2e-4),
    scenario=ScenarioConfig(channel_model="cdl-a", snr_db=3.0, ue_speed_mps=11, delay_spread_ns=40, cell_antennas=8),
)
AWGN = FADED.model_copy(
    update={
        "qos": Qos(min_throughput_mbps=40.0, max_delay_ms=1.0, max_ber=1e-3),
        "scenario": ScenarioConfig(snr_db=18.0, cell_antennas=2, free_prbs=100),
    }
)


@pytest.mark.parametrize("task", [FADED, AWGN], ids=["faded", "awgn"])
def test_the_budget_takes_the_highest_mcs_inside_the_margin_and_the_fewest_prbs_that_carry_the_throughput(
    task: Task,
) -> None:
    budget = link_budget(task)
    scenario = task.radio()
    margin = MARGIN_DB["awgn" if scenario.channel_model == "awgn" else "faded"]
    assert budget.margin_db == margin and budget.rx_antennas == min(4, scenario.cell_antennas)
    assert budget.sinr_db == pytest.approx(scenario.snr_db + 10 * math.log10(budget.rx_antennas) - LS_LOSS_DB)
    thresholds = mcs_thresholds_db(bler_target(task.qos.max_ber))
    assert thresholds[budget.mcs_index] + margin <= budget.sinr_db
    assert budget.mcs_index == 28 or thresholds[budget.mcs_index + 1] + margin > budget.sinr_db
    assert budget.subcarrier_spacing_khz == (60 if task.qos.max_delay_ms < 1.5 else 30)

    def mbps(prbs: int) -> float:
        slot_ms = nr.slot_duration_ms(budget.subcarrier_spacing_khz)
        return nr.transport_block_size(1, budget.mcs_index, prbs, 1) / slot_ms / 1e3

    assert mbps(budget.num_prbs) >= task.qos.min_throughput_mbps
    assert budget.num_prbs == 1 or mbps(budget.num_prbs - 1) < task.qos.min_throughput_mbps


def test_the_rule_is_the_budget_and_fixed_choices_inside_the_cell_state() -> None:
    for task in (FADED, AWGN):
        budget, link = link_budget(task), rule_link(task)
        assert (link.mcs_index, link.mcs_table, link.num_prbs) == (budget.mcs_index, 1, budget.num_prbs)
        assert link.subcarrier_spacing_khz == budget.subcarrier_spacing_khz
        assert (link.num_layers, link.channel_estimator, link.harq_enabled) == (1, "ls", False)
        Orchestration(link=link, scenario=task.radio())  # valid: the carrier holds the PRBs


def test_the_link_budget_prompt_is_the_plain_one_and_the_budget_line() -> None:
    plain, hinted = task_prompt(FADED), task_prompt(FADED, "link-budget")
    assert hinted.startswith(plain + "\n") and hinted.count("\n") == plain.count("\n") + 1
    budget = link_budget(FADED)
    assert hinted.endswith(hint_text(budget))
    assert f"MCS {budget.mcs_index} (table 1)" in hinted and f"{budget.num_prbs} PRBs at 30 kHz" in hinted
    assert build_messages(FADED, "link-budget")[0] == build_messages(FADED)[0], "one system message for both"
    with pytest.raises(ValueError, match="unknown prompt 'verbose'"):
        task_prompt(FADED, "verbose")  # type: ignore[arg-type]


def test_the_rules_plans_are_those_of_its_committed_report() -> None:
    # the rule's held-out report was written before the budget moved here: the same plans, to the byte
    report = json.loads((REPO / "results/sixg-eval-rule.json").read_text())
    tasks = {task.id: task for task in load_tasks(REPO / report["tasks_file"])}
    for record in report["records"][:12]:
        assert answer_text(rule_link(tasks[record["task_id"]])) == record["raw_output"]


def test_ldpc_iterations_spend_the_spare_sinr_at_the_twins_decoder_loss() -> None:
    # the twin's decoder model: 0.8 dB per halving below 20 iterations (twin_bridge.systemlevel, step 4)
    assert ldpc_iterations_for(0.0, 50) == 20 and ldpc_iterations_for(-1.0, 50) == 20
    assert ldpc_iterations_for(0.8, 50) == 10 and ldpc_iterations_for(1.6, 50) == 5
    assert ldpc_iterations_for(1.0, 50) == 9, "a partial halving rounds up: never more loss than spare"
    assert ldpc_iterations_for(20.0, 50) == 1 and ldpc_iterations_for(0.0, 4) == 4, "within 1 … the budget"


@pytest.mark.parametrize("task", [FADED, AWGN], ids=["faded", "awgn"])
def test_the_leanest_fit_carries_the_need_within_the_margin_and_wastes_no_more_than_the_rule(task: Task) -> None:
    budget, fit = link_budget(task), lean_fit(task)
    scenario = task.radio()
    thresholds = mcs_thresholds_db(bler_target(task.qos.max_ber))
    assert fit.mcs_index <= budget.mcs_index, "never beyond what the margin allows"
    slot_ms = nr.slot_duration_ms(budget.subcarrier_spacing_khz)
    rate = nr.transport_block_size(1, fit.mcs_index, fit.num_prbs, 1) / slot_ms / 1e3
    assert rate == pytest.approx(fit.throughput_mbps) and rate >= task.qos.min_throughput_mbps
    assert fit.spare_db == pytest.approx(max(0.0, budget.sinr_db - thresholds[fit.mcs_index] - budget.margin_db))
    assert fit.ldpc_iterations == ldpc_iterations_for(fit.spare_db, scenario.max_ldpc_iterations)

    def waste(mcs: int, prbs: int, rate_mbps: float, iterations: int) -> float:
        need = task.qos.min_throughput_mbps
        shares = min(1.0, prbs / scenario.free_prbs) + min(1.0, iterations / scenario.max_ldpc_iterations)
        return 0.4 * (rate_mbps - need) / rate_mbps + 0.1 * shares

    rule = rule_link(task)
    rule_rate = nr.transport_block_size(1, rule.mcs_index, rule.num_prbs, 1) / slot_ms / 1e3
    assert waste(fit.mcs_index, fit.num_prbs, rate, fit.ldpc_iterations) <= waste(
        rule.mcs_index, rule.num_prbs, rule_rate, rule.ldpc_iterations
    ), "the rule's own plan is one of the candidates"
    link = lean_rule_link(task)
    assert (link.mcs_index, link.num_prbs, link.ldpc_iterations) == (fit.mcs_index, fit.num_prbs, fit.ldpc_iterations)
    assert (link.num_rx_antennas, link.channel_estimator) == (rule.num_rx_antennas, rule.channel_estimator)
    Orchestration(link=link, scenario=scenario)  # valid: the carrier holds the PRBs, the decoder fits its budget


def test_the_lean_prompt_is_the_compact_one_with_the_leanest_plan_in_its_budget_line() -> None:
    compact, lean = build_messages(FADED, "compact"), build_messages(FADED, "lean")
    assert compact[0]["content"].startswith(lean[0]["content"].split("\n")[0]), "compact's, a sentence shorter"
    assert lean[1]["content"].rsplit("\n", 1)[0] == compact[1]["content"].rsplit("\n", 1)[0], "the same task lines"
    budget, fit = link_budget(FADED), lean_fit(FADED)
    assert lean[1]["content"].endswith(lean_hint_text(budget, fit))
    assert f"MCS {fit.mcs_index} on {fit.num_prbs} PRBs" in lean[1]["content"]
    assert f"{fit.ldpc_iterations} LDPC iteration" in lean[1]["content"]
