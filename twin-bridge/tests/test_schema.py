"""The pydantic models follow orchestration.schema.json, the single source of truth."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from twin_bridge.orchestration import LinkConfig, Orchestration, ScenarioConfig, schema_document


def _contract(spec: dict[str, Any]) -> dict[str, Any]:
    """Allowed values (enum, or type with bounds) and default: what both sides must agree on."""
    if "enum" in spec:
        values: Any = sorted(spec["enum"])
    elif "const" in spec:
        values = [spec["const"]]
    else:
        values = {"type": spec.get("type"), "minimum": spec.get("minimum"), "maximum": spec.get("maximum")}
    return {"values": values, "default": spec.get("default")}


def _pydantic_field_schema(spec: dict[str, Any]) -> dict[str, Any]:
    """pydantic writes Literal[...] as enum (or const) and keeps ge/le as minimum/maximum."""
    return {k: v for k, v in spec.items() if k not in ("title", "description")}


@pytest.mark.parametrize(("group", "model"), [("link", LinkConfig), ("scenario", ScenarioConfig)])
def test_models_match_schema(group: str, model: type) -> None:
    source = schema_document()["properties"][group]
    generated = model.model_json_schema()
    assert sorted(generated["properties"]) == sorted(source["properties"])
    assert sorted(generated.get("required", [])) == sorted(source.get("required", []))
    assert generated.get("additionalProperties") is False
    for name, spec in source["properties"].items():
        assert _contract(_pydantic_field_schema(generated["properties"][name])) == _contract(spec), f"{group}.{name}"


def test_cross_field_rules_explain_themselves() -> None:
    base = {"link": {"mcs_index": 10, "num_prbs": 106}, "scenario": {"snr_db": 10}}
    assert Orchestration.model_validate(base).link.bandwidth_mhz == 40
    cases = [
        ({"num_prbs": 107}, "exceeds the 106 PRBs of 40 MHz at 30 kHz SCS"),
        ({"mcs_index": 28, "mcs_table": 2}, "not in MCS table 2"),
        ({"num_layers": 2}, "num_layers 2 exceeds num_tx_antennas 1"),
        ({"num_layers": 2, "num_tx_antennas": 2}, "num_layers 2 exceeds num_rx_antennas 1"),
        ({"subcarrier_spacing_khz": 60, "bandwidth_mhz": 5, "num_prbs": 5}, "does not exist at 60 kHz"),
        ({"harq_max_retransmissions": 2}, "needs harq_enabled"),
    ]
    for change, message in cases:
        with pytest.raises(ValidationError, match=message):
            Orchestration.model_validate({**base, "link": {**base["link"], **change}})


def test_cache_key_ignores_spelling_of_defaults() -> None:
    a = Orchestration.model_validate({"link": {"mcs_index": 5, "num_prbs": 20}, "scenario": {"snr_db": 3}})
    b = Orchestration.model_validate(
        {"link": {"mcs_index": 5, "num_prbs": 20, "mcs_table": 1}, "scenario": {"snr_db": 3.0, "channel_model": "awgn"}}
    )
    c = Orchestration.model_validate({"link": {"mcs_index": 6, "num_prbs": 20}, "scenario": {"snr_db": 3}})
    assert a.cache_key() == b.cache_key() != c.cache_key()
