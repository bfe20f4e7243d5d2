"""Eq. (2), checked against numbers worked out by hand."""

from __future__ import annotations

import math

import pytest
from sixg_learner.tasks.reward import (
    DEFAULT_WEIGHTS,
    FAILURE_REWARD,
    AchievedQos,
    QosRequirement,
    RewardWeights,
    achieved_qos,
    qos_satisfied,
    reward,
    sigmoid_proximity,
)
from twin_bridge.orchestration import TwinResult

REQUIRED = QosRequirement(min_throughput_mbps=10.0, max_latency_ms=5.0, max_ber=1e-3)
VALID_PLAN = '{"link": {"mcs_index": 10, "num_prbs": 24, "bandwidth_mhz": 10}, "scenario": {"snr_db": 20}}'


def sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def twin_result(throughput_mbps: float, latency_ms: float, ber: float | None, bler: float = 0.0) -> TwinResult:
    return TwinResult(
        fidelity="link" if ber is not None else "system",
        ber=ber,
        bler=bler,
        residual_bler=bler,
        throughput_mbps=throughput_mbps,
        latency_ms=latency_ms,
        tbs_bits=1000,
        slot_duration_ms=0.5,
        code_rate=0.5,
        modulation_order=2,
        num_slots=10,
        elapsed_s=0.0,
    )


def test_satisfied_branch_by_hand() -> None:
    achieved = AchievedQos(throughput_mbps=20.0, latency_ms=2.0, ber=1e-4)
    # throughput wastage (20 − 10)/20 = 0.5; delay (5 − 2)/5 = 0.6; BER (1e-3 − 1e-4)/1e-3 = 0.9
    # R = 1 − 0.4·0.5 − 0.2·0.6 − 0.1·0.9 = 1 − 0.2 − 0.12 − 0.09 = 0.59
    assert qos_satisfied(achieved, REQUIRED)
    assert reward(achieved, REQUIRED) == pytest.approx(0.59, abs=1e-12)


def test_satisfied_exactly_at_the_requirement_earns_the_full_base() -> None:
    achieved = AchievedQos(throughput_mbps=10.0, latency_ms=5.0, ber=1e-3)
    assert qos_satisfied(achieved, REQUIRED)
    assert reward(achieved, REQUIRED) == pytest.approx(1.0, abs=1e-12)


def test_violated_branch_by_hand() -> None:
    achieved = AchievedQos(throughput_mbps=5.0, latency_ms=10.0, ber=1e-2)
    # gaps: throughput |5 − 10|/10 = 0.5 → sig(2) = 0.8807971; delay |10 − 5|/5 = 1 → sig(1) = 0.7310586;
    # BER |log10 1e-2 − log10 1e-3| = 1 decade → sig(1) = 0.7310586
    # R = −1 + 0.3·(0.8807971 + 0.7310586 + 0.7310586) = −1 + 0.3·2.3429143 = −0.2971257
    assert not qos_satisfied(achieved, REQUIRED)
    assert reward(achieved, REQUIRED) == pytest.approx(-0.2971257, abs=1e-6)
    assert reward(achieved, REQUIRED) == pytest.approx(-1 + 0.3 * (sig(2) + sig(1) + sig(1)), abs=1e-12)


def test_one_violated_metric_takes_the_violated_branch_with_two_sided_gaps() -> None:
    # throughput and BER met, delay missed by 10 %: the met metrics still enter through their gaps.
    achieved = AchievedQos(throughput_mbps=40.0, latency_ms=5.5, ber=1e-5)
    # gaps: |40 − 10|/10 = 3 → sig(1/3) = 0.5825702; |5.5 − 5|/5 = 0.1 → sig(10) = 0.9999546;
    # BER 2 decades below → sig(0.5) = 0.6224593. R = −1 + 0.3·2.2049841 = −0.3385048
    assert not qos_satisfied(achieved, REQUIRED)
    assert reward(achieved, REQUIRED) == pytest.approx(-0.3385048, abs=1e-6)


def test_sigmoid_proximity() -> None:
    assert sigmoid_proximity(0.0) == 1.0  # sig(+∞)
    assert sigmoid_proximity(0.5) == pytest.approx(0.8807971, abs=1e-7)  # sig(2)
    assert sigmoid_proximity(1e9) == pytest.approx(0.5, abs=1e-8)
    assert sigmoid_proximity(0.1) > sigmoid_proximity(1.0) > sigmoid_proximity(10.0)
    with pytest.raises(ValueError, match="gap must be >= 0"):
        sigmoid_proximity(-1.0)


def test_reward_ranges_order_invalid_violating_satisfying() -> None:
    # Defaults: satisfied in [1 − 1.0, 1] = [0, 1]; violated in (−1 + 0.45, −1 + 0.9] = (−0.55, −0.1].
    assert DEFAULT_WEIGHTS.satisfied_floor == pytest.approx(0.0)
    assert DEFAULT_WEIGHTS.violated_ceiling == pytest.approx(-0.1)
    worst_satisfying = reward(AchievedQos(1e6, 1e-6, 0.0, resource_share=1.0), REQUIRED)
    best_violating = reward(AchievedQos(9.999, 5.0, 1e-3), REQUIRED)
    worst_violating = reward(AchievedQos(0.0, 1e6, 0.5), REQUIRED)
    assert FAILURE_REWARD < worst_violating < best_violating < worst_satisfying
    assert worst_satisfying == pytest.approx(0.0, abs=1e-4)
    # resources taken from the cell cost: the same QoS with the whole cell scores w₄⁺ = 0.3 less
    assert reward(AchievedQos(1e6, 1e-6, 0.0), REQUIRED) == pytest.approx(0.3, abs=1e-4)
    assert best_violating == pytest.approx(-0.1, abs=1e-3)


def test_weights_that_let_a_violating_plan_outscore_a_satisfying_one_are_refused() -> None:
    with pytest.raises(ValueError, match="must always outscore"):
        RewardWeights(throughput_wastage=1.0, latency_wastage=0.5)
    with pytest.raises(ValueError, match=">= 0"):
        RewardWeights(ber_proximity=-0.1)
    with pytest.raises(ValueError, match="max_ber"):
        QosRequirement(min_throughput_mbps=1, max_latency_ms=1, max_ber=0)


def test_system_level_result_uses_the_bler_as_ber_bound() -> None:
    assert achieved_qos(twin_result(20.0, 2.0, ber=None, bler=0.02)).ber == 0.02
    assert achieved_qos(twin_result(20.0, 2.0, ber=1e-4, bler=0.02)).ber == 1e-4
