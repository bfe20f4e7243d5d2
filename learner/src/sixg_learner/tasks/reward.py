"""The twin's reward, eq. (2) of the RLDTF paper.

    R = R⁺_base − w₁⁺·(thr − thr_req) − w₂⁺·(del_max − del) − w₃⁺·(BER_max − BER)    if QoS satisfied
    R = R⁻_base + w₁⁻·sig(1/|thr − thr_req|) + w₂⁻·sig(1/|del − del_max|)
                + w₃⁻·sig(1/|BER − BER_max|)                                        otherwise

with R⁺_base = 1, R⁻_base = −1 and "QoS satisfied" = thr ≥ thr_req and del ≤ del_max and BER ≤ BER_max.
The satisfied branch also subtracts w₄⁺ · (share of the cell's free resources the plan took): PRBs,
antennas and decoder work are communication resources, and without the term a plan that takes all of
them meets more tasks at no cost (see `RewardWeights.resource_wastage`).
Units: throughput in Mbps (the twin's goodput), delay in ms (the twin's expected delivery latency),
BER as a probability.

The paper gives no weights, and its differences carry units: a wastage of 290 Mbps and one of
3 ms cannot share a weight, and a BER difference is at most 1, so 1/|ΔBER| ≥ 1 and its sigmoid
is always ≈ 1 (no signal). So each difference is made unit-free (a deviation from the literal
formula, which keeps its structure: a base reward minus weighted wastage, or a base penalty plus
weighted sigmoid proximities):

- satisfied branch, each wastage in [0, 1] (the resource share too):
  throughput (thr − thr_req)/thr — the share of the delivered throughput the task did not need
  (divided by the achieved, not the required, throughput: divided by the requirement, a plan
  30× over-provisioned would lose 29·w₁⁺ and fall below every failing plan);
  delay (del_max − del)/del_max — the share of the delay budget left unused;
  BER (BER_max − BER)/BER_max — the share of the error budget left unused.
- violated branch, sig(1/g) for a unit-free gap g ≥ 0 (g = 0 gives sig(+∞) = 1):
  throughput |thr − thr_req|/thr_req; delay |del − del_max|/del_max; BER in decades,
  |log10 BER − log10 BER_max| (BER is floored at `RewardWeights.ber_floor` for the logarithm).
  As in the paper the gap is two-sided: a metric met with a wide margin earns less than one met
  just, so even a failing plan is pulled away from over-provisioning.

Each sig(1/g) lies in (0.5, 1], so with the default weights a satisfying plan scores in
(0, 1], a plan violating its QoS in (−0.55, −0.1], and an orchestration that cannot be parsed
or that the twin refuses scores `FAILURE_REWARD` = R⁻_base = −1 (no proximity bonus: there is no
measured QoS to be close with). Invalid < violating < satisfying, always (RewardWeights checks it).

BER at system level: Sionna's PHY abstraction gives a BLER but no BER. Every bit of a correctly
decoded block is right, so BER ≤ BLER (per attempt, like the link level's BER); the system level's
per-attempt BLER stands in for the BER as this upper bound (conservative: a BER target then binds
at least as hard as it would with the true BER).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from twin_bridge.orchestration import Orchestration, TwinResult, resource_share


@dataclass(frozen=True)
class QosRequirement:
    """What the upper-layer task needs (the paper's thr, del, BER targets)."""

    min_throughput_mbps: float
    """Minimum required throughput thr_req, in Mbps."""
    max_latency_ms: float
    """Maximum allowable delay del_max, in ms."""
    max_ber: float
    """Maximum tolerable bit error rate BER_max, a probability in (0, 1)."""

    def __post_init__(self) -> None:
        if not self.min_throughput_mbps > 0:
            raise ValueError(f"min_throughput_mbps must be > 0, got {self.min_throughput_mbps}")
        if not self.max_latency_ms > 0:
            raise ValueError(f"max_latency_ms must be > 0, got {self.max_latency_ms}")
        if not 0 < self.max_ber < 1:
            raise ValueError(f"max_ber must be in (0, 1), got {self.max_ber}")


@dataclass(frozen=True)
class AchievedQos:
    """What the twin measured, reduced to the three metrics of eq. (2)."""

    throughput_mbps: float
    latency_ms: float
    ber: float
    """Bit error rate, or the per-attempt BLER as its upper bound where the twin gives no BER."""
    resource_share: float = 0.0
    """Share of the system state's resources the plan took (twin_bridge `resource_share`), in [0, 1]."""


@dataclass(frozen=True)
class RewardWeights:
    """Constants of eq. (2); the wastage and gap terms are the unit-free ones of the module docstring."""

    base_satisfied: float = 1.0
    """R⁺_base (the paper's value)."""
    base_violated: float = -1.0
    """R⁻_base (the paper's value); also the reward of an orchestration that cannot be evaluated."""
    throughput_wastage: float = 0.4
    """w₁⁺: the largest lever on the resources a plan takes (PRBs × MCS), so the largest weight."""
    latency_wastage: float = 0.2
    """w₂⁺: unused delay budget (e.g. a wider SCS or fewer LDPC iterations than the task needs)."""
    ber_wastage: float = 0.1
    """w₃⁺: small, since the BER waterfall is so steep that a satisfied BER is nearly always far below its target."""
    resource_wastage: float = 0.3
    """w₄⁺ (our addition): PRBs, antennas and decoder work taken of what the cell has free. Without it, a plan
    that takes every antenna, genie CSI and the whole carrier costs nothing more than a lean one."""
    throughput_proximity: float = 0.3
    """w₁⁻."""
    latency_proximity: float = 0.3
    """w₂⁻."""
    ber_proximity: float = 0.3
    """w₃⁻: equal proximity weights, since a violated task fails whichever metric it misses."""
    ber_floor: float = 1e-12
    """Smallest BER the decade gap takes (a link-level run with no bit error reports BER 0)."""

    def __post_init__(self) -> None:
        weights = (
            self.throughput_wastage,
            self.latency_wastage,
            self.ber_wastage,
            self.resource_wastage,
            self.throughput_proximity,
            self.latency_proximity,
            self.ber_proximity,
        )
        if any(w < 0 for w in weights):
            raise ValueError(f"reward weights must be >= 0, got {weights}")
        if not 0 < self.ber_floor < 1:
            raise ValueError(f"ber_floor must be in (0, 1), got {self.ber_floor}")
        if not self.satisfied_floor > self.violated_ceiling:
            raise ValueError(
                f"a satisfying plan must always outscore a violating one: R⁺_base − Σw⁺ = {self.satisfied_floor} "
                f"is not above R⁻_base + Σw⁻ = {self.violated_ceiling}"
            )

    @property
    def satisfied_floor(self) -> float:
        """Lower bound of the satisfied branch (every wastage at its maximum, 1)."""
        return (
            self.base_satisfied
            - self.throughput_wastage
            - self.latency_wastage
            - self.ber_wastage
            - self.resource_wastage
        )

    @property
    def violated_ceiling(self) -> float:
        """Upper bound of the violated branch (every sigmoid at its maximum, 1)."""
        return self.base_violated + self.throughput_proximity + self.latency_proximity + self.ber_proximity


DEFAULT_WEIGHTS = RewardWeights()
FAILURE_REWARD = DEFAULT_WEIGHTS.base_violated
"""Reward of an orchestration that cannot be parsed or that the twin refuses: R⁻_base, no bonus."""


def achieved_qos(result: TwinResult, plan: Orchestration | None = None) -> AchievedQos:
    """The metrics of eq. (2) from a twin result; BER falls back to the per-attempt BLER (an upper bound).

    With the plan, the share of the system state's resources it took is charged too.
    """
    ber = result.ber if result.ber is not None else result.bler
    share = 0.0 if plan is None else resource_share(plan.link, plan.scenario)
    return AchievedQos(
        throughput_mbps=result.throughput_mbps, latency_ms=result.latency_ms, ber=ber, resource_share=share
    )


@dataclass(frozen=True)
class Verdict:
    """The twin's judgement of one plan for one task: what it reached, whether that meets the QoS, eq. (2)."""

    achieved: AchievedQos
    satisfied: bool
    reward: float


def judge(
    result: TwinResult, plan: Orchestration, required: QosRequirement, weights: RewardWeights | None = None
) -> Verdict:
    """The one place where a twin result becomes (achieved, satisfied, reward) for a task's requirement."""
    achieved = achieved_qos(result, plan)
    return Verdict(
        achieved=achieved,
        satisfied=qos_satisfied(achieved, required),
        reward=reward(achieved, required, DEFAULT_WEIGHTS if weights is None else weights),
    )


def qos_satisfied(achieved: AchievedQos, required: QosRequirement) -> bool:
    """The condition of eq. (2): thr ≥ thr_req, del ≤ del_max and BER ≤ BER_max (the bounds count as met)."""
    return (
        achieved.throughput_mbps >= required.min_throughput_mbps
        and achieved.latency_ms <= required.max_latency_ms
        and achieved.ber <= required.max_ber
    )


def sigmoid_proximity(gap: float) -> float:
    """sig(1/gap) of eq. (2) for a unit-free gap ≥ 0: 1 at gap 0, falling towards 0.5 as the gap grows."""
    if gap < 0:
        raise ValueError(f"gap must be >= 0, got {gap}")
    if gap == 0:
        return 1.0
    return 1.0 / (1.0 + math.exp(-1.0 / gap))


def reward(achieved: AchievedQos, required: QosRequirement, weights: RewardWeights = DEFAULT_WEIGHTS) -> float:
    """Eq. (2), with the unit-free differences of the module docstring."""
    thr, thr_req = achieved.throughput_mbps, required.min_throughput_mbps
    delay, delay_max = achieved.latency_ms, required.max_latency_ms
    ber, ber_max = achieved.ber, required.max_ber
    if qos_satisfied(achieved, required):
        throughput_wastage = (thr - thr_req) / thr
        latency_wastage = (delay_max - delay) / delay_max
        ber_wastage = (ber_max - ber) / ber_max
        return (
            weights.base_satisfied
            - weights.throughput_wastage * throughput_wastage
            - weights.latency_wastage * latency_wastage
            - weights.ber_wastage * ber_wastage
            - weights.resource_wastage * achieved.resource_share
        )
    throughput_gap = abs(thr - thr_req) / thr_req
    latency_gap = abs(delay - delay_max) / delay_max
    ber_gap_decades = abs(math.log10(max(ber, weights.ber_floor)) - math.log10(ber_max))
    return (
        weights.base_violated
        + weights.throughput_proximity * sigmoid_proximity(throughput_gap)
        + weights.latency_proximity * sigmoid_proximity(latency_gap)
        + weights.ber_proximity * sigmoid_proximity(ber_gap_decades)
    )
