"""The telecom Q&A generator: the table parser on a committed fixture, the pairs, the files, and the real corpus.

The fixture (`fixtures/specs/*.md`) holds a few rows of each table in the corpus's markdown form,
with its quirks (a blank line after a title, the "NRB" label row, reserved and out-of-range rows,
merged 5QI cells, citations and notes inside cells, formula headers lost). The real-corpus tests
run where `../shared/corpus/3gpp-specs` (or `$MAESTRO_SPECS_DIR`) exists and check known values,
the MCS and CQI tables against `core/network/nr-tables.ts`'s transcription.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sixg_learner.training import domain_qa
from sixg_learner.training.domain_qa import (
    SpecParseError,
    generate_pairs,
    load_corpus,
    load_pairs,
    pairs_jsonl,
    parse_mcs_table,
    pipe_table,
    source_counts,
    specs_dir,
    split_services,
    write_pairs,
)

FIXTURE_SPECS = Path(__file__).parent / "fixtures" / "specs"
REAL_SPECS = specs_dir()
NR_TABLES = Path(__file__).resolve().parents[2] / "core" / "network" / "nr-tables.ts"
real_corpus = pytest.mark.skipif(
    not (REAL_SPECS / "38.214_PHY-Data_j30.md").exists() and not list(REAL_SPECS.glob("38.214_*.md")),
    reason=f"the 3GPP corpus is not at {REAL_SPECS} (set $MAESTRO_SPECS_DIR)",
)


def answers(pairs: list[domain_qa.Pair], fact: str) -> set[str]:
    return {p.answer for p in pairs if p.fact == fact}


def questions(pairs: list[domain_qa.Pair], fact: str) -> list[str]:
    return [p.question for p in pairs if p.fact == fact]


# --------------------------------------------------------------------------------------------------------------------
# The parser on the fixture
# --------------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fixture_corpus() -> domain_qa.Corpus:
    return load_corpus(FIXTURE_SPECS)


def test_the_fixture_tables_parse_with_their_quirks(fixture_corpus: domain_qa.Corpus) -> None:
    c = fixture_corpus
    assert c.missing == []
    mcs1, mcs2 = c.mcs
    row = mcs1.rows[3]
    assert (row.index, row.modulation, row.modulation_order, row.code_rate_x1024, row.efficiency) == (
        3,
        "16QAM",
        4,
        490,
        "1.9141",
    )
    assert mcs1.reserved == ((29, 2),)
    assert mcs2.rows[2].code_rate_x1024 == 682.5 and mcs2.rows[2].rate_text == "682.5"
    cqi1, _ = c.cqi
    assert cqi1.out_of_range == (0,) and [r.index for r in cqi1.rows] == [1, 2]

    ue = next(t for t in c.nrb if t.side == "UE")  # a blank line between title and table
    assert ue.nrb[(30, 20)] == 51 and ue.nrb[(15, 100)] is None and ue.bandwidths == [5, 20, 40, 100]
    fr2 = {t.range_name: t for t in c.nrb if t.side == "BS"}
    assert fr2["FR2-1"].nrb[(120, 400)] == 264 and fr2["FR2-2"].nrb[(960, 2000)] == 148
    assert fr2["FR1"].nrb == ue.nrb  # the note row is skipped

    by_value = {q.value: q for q in c.five_qi}
    assert list(by_value) == [1, 3, 5, 8, 9, 79, 85]
    assert (by_value[1].resource_type, by_value[1].pdb_ms, by_value[1].per) == ("GBR", 100, "10^-2")
    assert by_value[3].resource_type == "GBR"  # a merged cell ("(NOTE 1)" only) keeps the type above
    assert (by_value[9].pdb_ms, by_value[9].per_exponent, by_value[9].priority) == (300, -6, 90)  # merged with 8
    assert by_value[8].services == by_value[9].services
    assert by_value[9].services.endswith("progressive video, etc.)")
    assert by_value[85].mdbv_bytes == 255 and by_value[85].resource_type == "Delay-critical GBR"
    assert by_value[85].services == "Electricity Distribution- high voltage; V2X messages (Remote Driving)"
    assert split_services(by_value[3].services) == [
        "Real Time Gaming",
        "V2X messages",
        "Electricity distribution – medium voltage",
        "Process automation monitoring",
    ]

    mu = {n.mu: n for n in c.numerology}
    assert (mu[1].scs_khz, mu[1].slot_ms, mu[1].slots_per_frame) == (30, 0.5, 20)
    assert mu[2].cyclic_prefixes == ("normal", "extended") and mu[2].extended_symbols_per_slot == 12


def test_the_pairs_state_the_fixture_facts(fixture_corpus: domain_qa.Corpus) -> None:
    pairs = generate_pairs(fixture_corpus, seed=3, phrasings=2)
    assert len({p.id for p in pairs}) == len(pairs)
    assert answers(pairs, "mcs1-3-row") == {
        "16QAM (Q_m = 4), target code rate R × 1024 = 490 (R ≈ 0.4785), spectral efficiency 1.9141 bit/s/Hz."
    }
    assert len(questions(pairs, "mcs1-3-row")) == 2  # two phrasings, one answer
    assert len(set(questions(pairs, "mcs1-3-row"))) == 2
    assert answers(pairs, "nrb-ue-fr1-30-20") == {"51 PRBs (612 subcarriers, 18.36 MHz transmission bandwidth)."}
    assert answers(pairs, "nrb-ue-fr1-30-20-slot") == {
        "51 PRBs and a slot of 0.5 ms (μ = 1, 14 OFDM symbols per slot)."
    }
    assert answers(pairs, "nrb-ue-fr1-15-100") == {
        "None: 15 kHz SCS is not specified for a 100 MHz channel in FR1 (N/A)."
    }
    assert answers(pairs, "nrb-ue-fr1-bw-100") == {"30 kHz: 273 PRBs; 60 kHz: 135 PRBs."}
    assert answers(pairs, "5qi-85-pdb") == {"5 ms."}
    service = [p for p in pairs if p.fact.startswith("5qi-service") and "IMS Signalling" in p.question]
    assert {p.answer for p in service} == {"5QI 5 (Non-GBR): packet delay budget 100 ms, packet error rate 10^-6."}
    assert not [p for p in pairs if p.fact.startswith("5qi-service") and "V2X messages?" in p.question]  # 3 and 79
    assert answers(pairs, "cqi2-2-to-mcs") == {"MCS 3: 16QAM, R × 1024 = 490 in both (efficiency 1.9141 bit/s/Hz)."}
    assert answers(pairs, "mu-2-symbols") == {"14 with normal cyclic prefix, 12 with extended."}
    assert answers(pairs, "mcs2-2-rate") == {"R × 1024 = 682.5 (R ≈ 0.6665)."}
    assert {p.source for p in pairs} >= {
        "TS 38.214 Table 5.1.3.1-1",
        "TS 23.501 Table 5.7.4-1",
        "TS 38.104 Table 5.3.2-3",
    }


def test_the_phrasing_is_seeded(fixture_corpus: domain_qa.Corpus) -> None:
    a = generate_pairs(fixture_corpus, seed=1, phrasings=2)
    assert pairs_jsonl(a) == pairs_jsonl(generate_pairs(fixture_corpus, seed=1, phrasings=2))
    b = generate_pairs(fixture_corpus, seed=2, phrasings=2)
    assert [p.answer for p in a] == [p.answer for p in b]  # same facts, same answers
    assert [p.question for p in a] != [p.question for p in b]
    assert len(generate_pairs(fixture_corpus, seed=1, phrasings=1)) < len(a)


def test_files_are_named_by_their_content_and_load_back(fixture_corpus: domain_qa.Corpus, tmp_path: Path) -> None:
    pairs = generate_pairs(fixture_corpus)
    path = write_pairs(pairs, tmp_path, {"counts": source_counts(pairs)})
    assert re.fullmatch(r"domain-qa-[0-9a-f]{12}\.jsonl", path.name)
    assert write_pairs(pairs, tmp_path) == path  # same content, same name
    meta = json.loads(path.with_suffix(".meta.json").read_text())
    assert meta["file"] == path.name and sum(meta["counts"].values()) == len(pairs)
    records = load_pairs(path)
    assert len(records) == len(pairs)
    first = records[0]
    assert set(first) == {"id", "messages", "source", "fact"}
    assert [m["role"] for m in first["messages"]] == ["user", "assistant"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "x", "messages": [{"role": "user", "content": "q"}]}) + "\n")
    with pytest.raises(ValueError, match="bad.jsonl:1"):
        load_pairs(bad)


def test_the_cli_prints_counts_per_source(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert domain_qa.main(["--specs", str(FIXTURE_SPECS), "--out", str(tmp_path), "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "TS 38.214 Table 5.1.3.1-1" in out and "pairs" in out
    written = list(tmp_path.glob("domain-qa-*.jsonl"))
    assert len(written) == 1
    meta = json.loads(written[0].with_suffix(".meta.json").read_text())
    assert set(meta["specs"]) == {"38.214", "38.101-1", "38.104", "23.501", "38.211"}
    assert domain_qa.main(["--specs", str(tmp_path / "nowhere"), "--out", str(tmp_path)]) == 2


def test_the_specs_folder_comes_from_the_flag_the_environment_or_beside_the_repo(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(domain_qa.SPECS_ENV, raising=False)
    assert specs_dir() == domain_qa.REPO_ROOT.parent / "shared" / "corpus" / "3gpp-specs"
    monkeypatch.setenv(domain_qa.SPECS_ENV, str(tmp_path))
    assert specs_dir() == tmp_path
    assert specs_dir("/x") == Path("/x")


def test_a_table_that_does_not_read_right_is_refused_naming_file_and_table() -> None:
    text = (FIXTURE_SPECS / "38.214_fixture.md").read_text()
    with pytest.raises(SpecParseError, match=r"spec\.md: Table 5\.1\.3\.1-9 not found"):
        pipe_table(text, "5.1.3.1-9", "spec.md")
    broken = text.replace("| 3 | 4 | 490 | 1.9141 |", "| 3 | 4 | 490 | 2.9141 |")  # a column misread
    with pytest.raises(SpecParseError, match=r"spec\.md: Table 5\.1\.3\.1-1: index 3: efficiency"):
        parse_mcs_table(broken, "5.1.3.1-1", "spec.md")
    gap = text.replace("| 2 | 4 | 378 | 1.4766 |\n", "")
    with pytest.raises(SpecParseError, match="MCS indices"):
        parse_mcs_table(gap, "5.1.3.1-1", "spec.md")


def test_a_missing_spec_file_is_skipped_and_listed(tmp_path: Path) -> None:
    (tmp_path / "38.211_x.md").write_text((FIXTURE_SPECS / "38.211_fixture.md").read_text())
    corpus = load_corpus(tmp_path)
    assert set(corpus.missing) == {"38.214", "38.101-1", "38.104", "23.501"}
    pairs = generate_pairs(corpus)
    assert pairs and all(p.source.startswith("TS 38.211") for p in pairs)


# --------------------------------------------------------------------------------------------------------------------
# The real corpus
# --------------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real() -> domain_qa.Corpus:
    return load_corpus(REAL_SPECS)


def nr_tables_rows(name: str) -> list[tuple[float, ...]]:
    """The rows of `export const <name> = …Rows([...])` in core/network/nr-tables.ts."""
    text = NR_TABLES.read_text()
    body = re.search(rf"export const {name} = \w+\(\[(.*?)\]\);", text, re.S)
    assert body, name
    return [tuple(float(x) for x in row.split(",")) for row in re.findall(r"\[([\d., ]+)\]", body.group(1))]


@real_corpus
def test_the_real_mcs_and_cqi_tables_equal_the_transcription_in_nr_tables_ts(real: domain_qa.Corpus) -> None:
    mcs = {t.number: t for t in real.mcs}
    cqi = {t.number: t for t in real.cqi}
    for number, name, table in (
        ("5.1.3.1-1", "mcsTable1", mcs),
        ("5.1.3.1-2", "mcsTable2", mcs),
        ("5.2.2.1-2", "cqiTable1", cqi),
        ("5.2.2.1-3", "cqiTable2", cqi),
    ):
        parsed = [(r.index, r.modulation_order, r.code_rate_x1024, float(r.efficiency)) for r in table[number].rows]
        assert parsed == nr_tables_rows(name), number
    row13 = mcs["5.1.3.1-1"].rows[13]
    assert (row13.modulation, row13.code_rate_x1024, row13.efficiency) == ("16QAM", 490, "1.9141")
    assert mcs["5.1.3.1-1"].reserved == ((29, 2), (30, 4), (31, 6))
    assert mcs["5.1.3.1-2"].rows[20].code_rate_x1024 == 682.5


@real_corpus
def test_the_real_corpus_gives_the_known_facts(real: domain_qa.Corpus) -> None:
    assert real.missing == []
    pairs = generate_pairs(real, seed=1, phrasings=2)
    assert 1000 <= len(pairs) <= 2500
    assert answers(pairs, "mcs1-13-row") == {
        "16QAM (Q_m = 4), target code rate R × 1024 = 490 (R ≈ 0.4785), spectral efficiency 1.9141 bit/s/Hz."
    }
    assert answers(pairs, "mcs1-13-mod") == {"16QAM (Q_m = 4)."}
    assert answers(pairs, "mcs2-range-8") == {"MCS 20 to 27 (R × 1024 from 682.5 to 948)."}
    assert answers(pairs, "nrb-ue-fr1-30-20") == {"51 PRBs (612 subcarriers, 18.36 MHz transmission bandwidth)."}
    assert answers(pairs, "nrb-ue-fr1-30-20-slot") == {
        "51 PRBs and a slot of 0.5 ms (μ = 1, 14 OFDM symbols per slot)."
    }
    assert answers(pairs, "nrb-ue-fr1-30-100") == {"273 PRBs (3276 subcarriers, 98.28 MHz transmission bandwidth)."}
    assert answers(pairs, "nrb-ue-fr1-15-20") == {"106 PRBs (1272 subcarriers, 19.08 MHz transmission bandwidth)."}
    assert answers(pairs, "nrb-bs-fr2-1-120-400") == {"264 PRBs (3168 subcarriers, 380.16 MHz transmission bandwidth)."}
    assert answers(pairs, "5qi-1-row") == {
        "GBR, default priority level 20, packet delay budget 100 ms, packet error rate 10^-2."
    }
    assert answers(pairs, "5qi-82-mdbv") == {"255 bytes."}
    assert answers(pairs, "5qi-9-pdb") == {"300 ms."}  # merged with 5QI 8 in the table
    assert answers(pairs, "5qi-80-pdb") == {"10 ms."}
    assert answers(pairs, "5qi-tightest-delay-critical-gbr") == {"5QI 85, 86, 87: 5 ms."}
    voice = [p for p in pairs if p.fact.startswith("5qi-service") and "Conversational Voice" in p.question]
    assert {p.answer for p in voice} == {"5QI 1 (GBR): packet delay budget 100 ms, packet error rate 10^-2."}
    assert answers(pairs, "mu-3-slot") == {"0.125 ms: 8 slots per 1 ms subframe, 14 OFDM symbols per slot."}
    assert answers(pairs, "mu-4-slot") == {"0.0625 ms (62.5 µs): 16 slots per 1 ms subframe, 14 OFDM symbols per slot."}
    assert answers(pairs, "cqi2-8-to-mcs") == {"MCS 13: 16QAM, R × 1024 = 490 in both (efficiency 1.9141 bit/s/Hz)."}
    assert answers(pairs, "cqi3-12-to-mcs") == {"MCS 21: 256QAM, R × 1024 = 711 in both (efficiency 5.5547 bit/s/Hz)."}
    every = " ".join(p.answer + p.question for p in pairs)
    assert "see TS" not in every and "NOTE" not in every and "[1" not in every  # citations cleaned out
    assert {s.split(" Table")[0] for s in source_counts(pairs)} == {
        "TS 38.214",
        "TS 38.101-1",
        "TS 38.104",
        "TS 23.501",
        "TS 38.211",
    }
