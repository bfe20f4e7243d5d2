"""The committed activities.schema.json is what the pydantic models say (the TypeScript side is tested against it)."""

from __future__ import annotations

from sixg_learner.contract import ACTIVITIES, committed_text, schema_text


def test_the_committed_schema_is_the_models_schema() -> None:
    assert committed_text() == schema_text(), "run: python -m sixg_learner.contract --write"


def test_every_activity_the_worker_registers_is_in_the_contract() -> None:
    from sixg_learner.serving import activities as serving
    from sixg_learner.training import activities as training

    registered = [getattr(fn, "__temporal_activity_definition").name for fn in training.ACTIVITIES + serving.ACTIVITIES]
    defined = {
        getattr(fn, "__temporal_activity_definition").name
        for module in (training, serving)
        for fn in vars(module).values()
        if callable(fn) and hasattr(fn, "__temporal_activity_definition")
    }
    assert set(registered) == defined, "an activity is defined but the worker does not register it"
    assert sorted(registered) == sorted(ACTIVITIES)


def test_a_workflows_loop_settings_reach_train_py_and_unset_ones_keep_its_defaults() -> None:
    from sixg_learner.training.activities import _loop_flags
    from sixg_learner.training.train import build_parser

    assert _loop_flags(None, None) == []
    flags = _loop_flags(0.7, 3e-5)
    for phase, extra in (("rs", ["--base", "b"]), ("ppo", ["--init", "i"])):
        parsed = build_parser().parse_args([phase, *extra, "--tasks", "t", "--out", "o", *flags])
        assert (parsed.temperature, parsed.learning_rate) == (0.7, 3e-5)
