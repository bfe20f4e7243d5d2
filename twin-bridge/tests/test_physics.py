"""Physics tests of the twin: NR helpers, latency model, link level (Sionna PHY) and system level (Sionna SYS).

Link-level cases use small allocations (24 PRBs) and 20 slots so the module runs in well under 90 s on one core.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import Any

import pytest
import torch
from sionna.phy.nr import PUSCHConfig
from twin_bridge import latency, nr
from twin_bridge.linklevel import _chain, evaluate_link_level, make_tb_decoder
from twin_bridge.orchestration import LinkConfig, Orchestration, ScenarioConfig, resource_share
from twin_bridge.systemlevel import (
    LS_ESTIMATION_LOSS_DB,
    effective_sinr_db,
    evaluate_system_level,
    evaluate_system_level_batch,
    fading_factor,
)


@pytest.fixture(scope="module", autouse=True)
def _single_thread() -> Iterator[None]:
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def make_plan(snr_db: float = 20.0, channel_model: str = "awgn", **link: int | str | bool) -> Orchestration:
    fields: dict[str, Any] = {"mcs_index": 10, "num_prbs": 24, **link}
    return Orchestration.model_validate(
        {"link": fields, "scenario": {"snr_db": snr_db, "channel_model": channel_model}}
    )


# ---------------------------------------------------------------------------------------------------------------
# NR helpers
# ---------------------------------------------------------------------------------------------------------------


def test_nr_numerology_and_mcs() -> None:
    assert nr.slot_duration_ms(15) == 1.0
    assert nr.slot_duration_ms(30) == 0.5
    assert nr.slot_duration_ms(60) == 0.25
    assert nr.symbol_duration_ms(30) * 14 == pytest.approx(0.5, rel=2e-3)
    assert nr.modulation_and_code_rate(1, 10) == (4, 340 / 1024)
    assert nr.modulation_and_code_rate(2, 27) == (8, 948 / 1024)
    assert nr.num_allocated_res(106, 2) == 156 * 106 * 2
    with pytest.raises(ValueError, match="not in MCS table 2"):
        nr.modulation_and_code_rate(2, 28)


@pytest.mark.parametrize(
    ("mcs_table", "mcs_index", "num_prbs", "num_layers"),
    [(1, 0, 1, 1), (1, 10, 106, 1), (1, 28, 273, 4), (2, 5, 51, 2), (2, 27, 275, 3), (1, 17, 24, 2)],
)
def test_tbs_matches_sionna_pusch_config(mcs_table: int, mcs_index: int, num_prbs: int, num_layers: int) -> None:
    """nr.transport_block_size equals what PUSCHConfig (hence PUSCHTransmitter) uses."""
    cfg = PUSCHConfig()
    cfg.carrier.n_size_grid = num_prbs
    cfg.num_layers = num_layers
    cfg.num_antenna_ports = 4 if num_layers == 3 else num_layers
    if num_layers == 3:
        cfg.precoding = "codebook"
    cfg.tb.mcs_table = mcs_table
    cfg.tb.mcs_index = mcs_index
    assert nr.transport_block_size(mcs_table, mcs_index, num_prbs, num_layers) == cfg.tb_size
    assert nr.num_coded_bits(mcs_table, mcs_index, num_prbs, num_layers) == cfg.num_coded_bits


# ---------------------------------------------------------------------------------------------------------------
# (e) latency model
# ---------------------------------------------------------------------------------------------------------------


def test_latency_without_harq_is_slot_plus_processing() -> None:
    m = latency.link_metrics(0.3, 10_000, 30, 20, harq_enabled=False, harq_max_retransmissions=0)
    slot = nr.slot_duration_ms(30)
    assert m.latency_ms == pytest.approx(slot + latency.processing_time_ms(30, 20))
    # capability-1 N2 = 12 and N1 = 10 symbols at 30 kHz
    assert latency.processing_time_ms(30, 20) == pytest.approx(22 * nr.symbol_duration_ms(30))
    assert m.residual_bler == pytest.approx(0.3)
    assert m.expected_attempts == 1.0
    assert m.throughput_mbps == pytest.approx(10_000 * 0.7 / slot / 1e3)
    # HARQ switched on but with no retransmission allowed behaves the same
    assert latency.link_metrics(0.3, 10_000, 30, 20, True, 0) == m


def test_latency_with_harq_retransmissions() -> None:
    p, r, slot = 0.2, 3, nr.slot_duration_ms(15)
    m = latency.link_metrics(p, 5_000, 15, 10, harq_enabled=True, harq_max_retransmissions=r)
    extra = p + p**2 + p**3
    assert latency.residual_bler(p, r) == pytest.approx(p ** (r + 1))
    assert m.residual_bler == pytest.approx(p**4)
    assert latency.expected_retransmissions(p, r) == pytest.approx(extra)
    assert m.expected_attempts == pytest.approx(1 + extra)
    assert m.latency_ms == pytest.approx(
        slot + latency.processing_time_ms(15, 10) + extra * latency.HARQ_RTT_SLOTS * slot
    )
    assert m.throughput_mbps == pytest.approx(5_000 * (1 - p**4) / (slot * (1 + extra)) / 1e3)
    # fewer LDPC iterations, less processing time
    assert latency.processing_time_ms(15, 10) < latency.processing_time_ms(15, 20)
    with pytest.raises(ValueError, match="bler"):
        latency.link_metrics(1.5, 5_000, 15, 10, True, 1)


# ---------------------------------------------------------------------------------------------------------------
# (d) invalid plans
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("link", "message"),
    [
        ({"mcs_index": 10, "num_prbs": 107}, "num_prbs 107 exceeds the 106 PRBs of 40 MHz"),
        ({"mcs_index": 28, "mcs_table": 2, "num_prbs": 24}, "mcs_index 28 is not in MCS table 2"),
        ({"mcs_index": 10, "num_prbs": 24, "num_layers": 2}, "num_layers 2 exceeds num_tx_antennas 1"),
        (
            {"mcs_index": 10, "num_prbs": 24, "num_layers": 2, "num_tx_antennas": 2},
            "num_layers 2 exceeds num_rx_antennas 1",
        ),
    ],
)
def test_invalid_plans_raise_value_error(link: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Orchestration.model_validate({"link": link, "scenario": {"snr_db": 10}})


def test_evaluators_reject_what_they_cannot_do() -> None:
    plan = make_plan()
    with pytest.raises(ValueError, match="num_slots"):
        evaluate_link_level(plan, num_slots=0)
    with pytest.raises(ValueError, match="batch_size"):
        evaluate_link_level(plan, batch_size=0)
    # a plan that skipped validation is re-checked
    bad = Orchestration.model_construct(link=plan.link.model_copy(update={"num_prbs": 300}), scenario=plan.scenario)
    with pytest.raises(ValueError, match="num_prbs"):
        evaluate_link_level(bad)
    with pytest.raises(ValueError, match="num_prbs"):
        evaluate_system_level(bad)
    # Sionna ships no BLER curve for table-1 MCS 0..2, and its LDPC encoder cannot go below rate 1/5
    with pytest.raises(ValueError, match="no curve for MCS 1 of MCS table 1"):
        evaluate_system_level(make_plan(mcs_index=1))
    with pytest.raises(ValueError, match=r"cannot encode this PUSCH \(MCS 0 of table 1, target code rate 120/1024"):
        evaluate_link_level(make_plan(mcs_index=0))


# ---------------------------------------------------------------------------------------------------------------
# LDPC decoder: the fast edge-list decoder decides like Sionna's
# ---------------------------------------------------------------------------------------------------------------


def test_fast_ldpc_decoder_matches_sionna_reference() -> None:
    """Same LLRs, Sionna's TBDecoder vs the edge-list/early-terminating one: same CRC outcomes and bits."""
    plan = make_plan(snr_db=3.4, mcs_index=10, num_prbs=11, channel_estimator="perfect")
    chain = _chain(plan.link, "awgn", 0.0, 0.0, 0.0)
    import sionna.phy

    sionna.phy.config.seed = 7
    with torch.no_grad():
        x, b = chain.transmitter(12)
        no = 10 ** (-plan.scenario.snr_db / 10)
        y, h = chain.propagate(x, no)
        rx = chain.receiver
        llr = rx._layer_demapper(rx._mimo_detector(y, h, torch.zeros(1), torch.tensor(no)))
        b_ref, crc_ref = make_tb_decoder(chain.transmitter, 20, fast=False)(llr)
        b_fast, crc_fast = make_tb_decoder(chain.transmitter, 20, fast=True)(llr)
    assert 0 < int(crc_ref.sum()) < crc_ref.numel(), "pick an SNR in the waterfall so both outcomes occur"
    assert torch.equal(crc_ref, crc_fast)
    assert torch.equal(b_ref, b_fast)


# ---------------------------------------------------------------------------------------------------------------
# (a), (b) link level
# ---------------------------------------------------------------------------------------------------------------


def test_link_level_bler_falls_with_snr() -> None:
    """MCS 10 (16QAM, R=0.33), 24 PRBs, LS CSI, AWGN: the waterfall lies near 4.3 dB."""
    results = [evaluate_link_level(make_plan(snr_db=snr)) for snr in (2.5, 4.3, 6.0)]
    blers = [r.bler for r in results]
    bers = [r.ber for r in results]
    assert blers[0] == 1.0 and blers[2] == 0.0
    assert blers[0] >= blers[1] >= blers[2]
    assert bers[0] > bers[1] >= bers[2] == 0.0
    assert all(r.fidelity == "link" and r.num_slots == 20 for r in results)


def test_link_level_high_snr_delivers_full_tbs_every_slot() -> None:
    plan = make_plan(snr_db=25.0, num_prbs=106)
    result = evaluate_link_level(plan)
    tbs = nr.transport_block_size(1, 10, 106, 1)
    slot_s = nr.slot_duration_ms(30) / 1e3
    assert result.bler == 0.0 and result.ber == 0.0 and result.residual_bler == 0.0
    assert result.tbs_bits == tbs
    assert result.throughput_mbps == pytest.approx(tbs / slot_s / 1e6, rel=1e-6)
    assert result.latency_ms == pytest.approx(nr.slot_duration_ms(30) + latency.processing_time_ms(30, 20))
    assert (result.modulation_order, result.code_rate) == nr.modulation_and_code_rate(1, 10)
    # same seed, same numbers
    again = evaluate_link_level(plan)
    assert (again.bler, again.ber) == (result.bler, result.ber)


def test_link_level_fading_channel_runs() -> None:
    plan = Orchestration.model_validate(
        {
            "link": {"mcs_index": 5, "num_prbs": 24, "num_rx_antennas": 2, "channel_estimator": "perfect"},
            "scenario": {"snr_db": 25, "channel_model": "tdl-c", "ue_speed_mps": 10, "delay_spread_ns": 300},
        }
    )
    result = evaluate_link_level(plan, num_slots=10)
    assert result.bler <= 0.2  # QPSK R=0.37 with 2-branch diversity at 25 dB average SNR


# ---------------------------------------------------------------------------------------------------------------
# (c) link level vs system level
# ---------------------------------------------------------------------------------------------------------------

AGREEMENT_SHIFT_DB = 1.5
AGREEMENT_SLACK = 0.1


@pytest.mark.parametrize(("mcs_index", "snrs_db"), [(5, (-1.5, 0.5, 2.0)), (15, (7.0, 8.75, 10.5))])
def test_link_and_system_level_agree_on_awgn(mcs_index: int, snrs_db: tuple[float, ...]) -> None:
    """The link-level BLER must lie on the system-level curve shifted by at most 1.5 dB (±0.1 for Monte Carlo).

    For each SNR s: BLER_sys(s + 1.5 dB) - 0.1 <= BLER_link(s) <= BLER_sys(s - 1.5 dB) + 0.1, i.e. the two
    waterfalls sit within 1.5 dB of each other. Why 1.5 dB: Sionna's shipped AWGN tables are sampled every
    1.79 dB, so the spline-interpolated waterfall can sit anywhere between two samples; measured on AWGN (24 and
    106 PRBs, MCS 5/10/15, 20-40 slots per point), the link-level 50 % point lay 0.1-1.0 dB above the tables' with
    perfect CSI, and -0.1..+0.9 dB with LS CSI after the system level's 1 dB LS loss. 0.1 absorbs the
    Monte-Carlo spread of 20 slots in the waterfall.
    """
    assert LS_ESTIMATION_LOSS_DB == 1.0
    link_blers, system_blers = [], []
    for snr in snrs_db:
        link = evaluate_link_level(make_plan(snr_db=snr, mcs_index=mcs_index))
        system = evaluate_system_level(make_plan(snr_db=snr, mcs_index=mcs_index))
        upper = evaluate_system_level(make_plan(snr_db=snr - AGREEMENT_SHIFT_DB, mcs_index=mcs_index)).bler
        lower = evaluate_system_level(make_plan(snr_db=snr + AGREEMENT_SHIFT_DB, mcs_index=mcs_index)).bler
        print(f"MCS {mcs_index} SNR {snr:+.2f} dB: link BLER {link.bler:.3f}, system BLER {system.bler:.3f}")
        assert lower - AGREEMENT_SLACK <= link.bler <= upper + AGREEMENT_SLACK
        assert link.tbs_bits == system.tbs_bits
        link_blers.append(link.bler)
        system_blers.append(system.bler)
    # the grid spans the waterfall: certain failure at the bottom, success at the top, for both
    assert link_blers[0] == 1.0 and system_blers[0] > 0.99
    assert link_blers[-1] == 0.0 and system_blers[-1] < 0.01


# ---------------------------------------------------------------------------------------------------------------
# (f) system level speed, vectorisation, mapping
# ---------------------------------------------------------------------------------------------------------------


def test_system_level_is_fast_and_vectorised() -> None:
    plans = [make_plan(snr_db=s / 4, mcs_index=m) for m in (5, 10, 15, 20) for s in range(-8, 80, 4)]
    evaluate_system_level(plans[0])  # warm-up (builds the PHYAbstraction)
    start = time.perf_counter()
    singles = [evaluate_system_level(p) for p in plans]
    per_call = (time.perf_counter() - start) / len(plans)
    assert per_call < 0.05
    batch = evaluate_system_level_batch(plans)
    assert [r.bler for r in batch] == pytest.approx([r.bler for r in singles])
    assert all(r.fidelity == "system" and r.ber is None and r.num_slots == 0 for r in batch)


def test_system_level_sinr_mapping_and_harq() -> None:
    base = make_plan(snr_db=4.0, mcs_index=10, num_prbs=106)
    # 2 receive antennas give 3 dB of array gain
    diversity = make_plan(snr_db=1.0, mcs_index=10, num_prbs=106, num_rx_antennas=2)
    assert evaluate_system_level(diversity).bler == pytest.approx(evaluate_system_level(base).bler)
    # perfect CSI is worth the LS loss
    perfect = make_plan(snr_db=4.0 - LS_ESTIMATION_LOSS_DB, mcs_index=10, num_prbs=106, channel_estimator="perfect")
    assert evaluate_system_level(perfect).bler == pytest.approx(evaluate_system_level(base).bler)
    harq = make_plan(snr_db=4.0, mcs_index=10, num_prbs=106, harq_enabled=True, harq_max_retransmissions=2)
    r0, r2 = evaluate_system_level(base), evaluate_system_level(harq)
    assert 0 < r0.bler < 1
    assert r2.residual_bler == pytest.approx(r0.bler**3)
    assert r2.latency_ms > r0.latency_ms
    assert math.isclose(r2.tbs_bits, nr.transport_block_size(1, 10, 106, 1))


# --- the system state and the fading-aware SINR (RLDTF issue: the orchestration must matter) ----------------------


def _faded(link: dict, **scenario: object) -> Orchestration:
    base = {"snr_db": 12, "channel_model": "tdl-c", "ue_speed_mps": 0, "delay_spread_ns": 100}
    return Orchestration.model_validate(
        {"link": {"mcs_index": 10, "num_prbs": 20, **link}, "scenario": {**base, **scenario}}
    )


def test_a_plan_outside_the_cell_state_is_rejected_with_the_reason() -> None:
    state = {"ue_antennas": 1, "cell_antennas": 2, "free_prbs": 10, "measured_csi": False, "max_ldpc_iterations": 8}
    for link, reason in [
        ({"num_tx_antennas": 2, "num_layers": 1, "num_rx_antennas": 2}, "UE's 1 antennas"),
        ({"num_rx_antennas": 4}, "cell can give"),
        ({"num_prbs": 11}, "PRBs free"),
        ({"channel_estimator": "perfect"}, "measured channel knowledge"),
        ({"ldpc_iterations": 9}, "decoder budget"),
    ]:
        fields = {"mcs_index": 10, "num_prbs": 10, "ldpc_iterations": 8, **link}
        with pytest.raises(ValueError, match=reason):
            Orchestration.model_validate({"link": fields, "scenario": {"snr_db": 10, **state}})
    fits = {"mcs_index": 10, "num_prbs": 10, "ldpc_iterations": 8, "num_rx_antennas": 2}
    Orchestration.model_validate({"link": fits, "scenario": {"snr_db": 10, **state}})


def test_fading_costs_sinr_that_diversity_wins_back() -> None:
    awgn = effective_sinr_db(*_parts(_faded({}, channel_model="awgn")))
    flat = effective_sinr_db(*_parts(_faded({"num_prbs": 2}, delay_spread_ns=10)))
    wide = effective_sinr_db(*_parts(_faded({"num_prbs": 100}, delay_spread_ns=300)))
    antennas = effective_sinr_db(*_parts(_faded({"num_prbs": 2, "num_rx_antennas": 8}, delay_spread_ns=10)))
    assert flat < wide < awgn  # frequency diversity
    assert antennas - 10 * math.log10(8) > flat  # spatial diversity, beyond the array gain
    assert fading_factor(1.0) == pytest.approx(10 ** (-9.77 / 10), rel=0.01)  # Rayleigh, 10 % outage


def test_a_fast_ue_with_ls_estimation_needs_a_short_slot_or_measured_csi() -> None:
    slow = effective_sinr_db(*_parts(_faded({}, ue_speed_mps=0, snr_db=25)))
    fast_30 = effective_sinr_db(*_parts(_faded({}, ue_speed_mps=30, snr_db=25)))
    fast_60 = effective_sinr_db(*_parts(_faded({"subcarrier_spacing_khz": 60}, ue_speed_mps=30, snr_db=25)))
    fast_csi = effective_sinr_db(*_parts(_faded({"channel_estimator": "perfect"}, ue_speed_mps=30, snr_db=25)))
    assert fast_30 < fast_60 < slow
    assert fast_csi > slow  # no estimation loss at all


def test_fewer_ldpc_iterations_cost_sinr_and_the_awgn_result_is_unchanged_at_the_reference() -> None:
    plan = _faded({}, channel_model="awgn")
    five = _faded({"ldpc_iterations": 5}, channel_model="awgn")
    assert effective_sinr_db(*_parts(plan)) - effective_sinr_db(*_parts(five)) == pytest.approx(1.6)
    assert effective_sinr_db(*_parts(plan)) == pytest.approx(12 - 1.0)  # AWGN, 1 antenna, LS: as before


def test_resource_share_counts_prbs_antennas_and_decoder_work_of_the_state() -> None:
    scenario = ScenarioConfig(snr_db=10, free_prbs=40, ue_antennas=2, cell_antennas=4, max_ldpc_iterations=10)
    lean = LinkConfig(mcs_index=10, num_prbs=4, ldpc_iterations=1)
    full = LinkConfig(mcs_index=10, num_prbs=40, num_tx_antennas=2, num_rx_antennas=4, ldpc_iterations=10)
    assert resource_share(full, scenario) == pytest.approx(1.0)
    assert resource_share(lean, scenario) == pytest.approx((0.1 + 0.5 * (0.5 + 0.25) + 0.1) / 3)


def _parts(plan: Orchestration) -> tuple[LinkConfig, ScenarioConfig]:
    return plan.link, plan.scenario
