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
