"""Telecom Q&A for the domain instruction tuning (RLDTF paper, Section III-A), parsed from the 3GPP specs.

The paper's first stage turns a subset of the domain corpus into question/answer pairs (with a
third-party LLM) and fine-tunes on them. Here the pairs are generated programmatically from the
tables a 6G orchestrator needs, parsed out of the regulatory corpus's markdown (read in place,
never copied: `../shared/corpus/3gpp-specs` beside the repository, `$MAESTRO_SPECS_DIR` or
`--specs`), so every answer is exact and traceable to its table:

| source                                  | facts                                                                    |
| --------------------------------------- | ------------------------------------------------------------------------ |
| TS 38.214 Tables 5.1.3.1-1 / 5.1.3.1-2  | per MCS index: modulation order Q_m, target code rate R×1024, efficiency |
| TS 38.214 Tables 5.2.2.1-2 / 5.2.2.1-3  | per CQI index: modulation, code rate ×1024, efficiency                   |
| TS 38.101-1 Table 5.3.2-1               | maximum transmission bandwidth configuration N_RB per SCS × bandwidth    |
| TS 38.104 Tables 5.3.2-1 / -2 / -3      | the BS's N_RB for FR1, FR2-1, FR2-2                                      |
| TS 23.501 Table 5.7.4-1                 | standardized 5QI: resource type, priority, PDB, PER, MDBV, services      |
| TS 38.211 Tables 4.2-1, 4.3.2-1 / -2    | numerology μ: SCS, cyclic prefix, symbols per slot, slots, slot duration |

plus pairs that compose facts across tables (PRBs and slot duration for an SCS and a bandwidth,
the 5QI of a service with its delay budget, the MCS matching a CQI report, the SCS options of a
bandwidth, the MCS range of a modulation). Every fact gets several question phrasings (seeded
choice among templates), one canonical short answer. The parser checks the tables against
themselves (efficiency = Q_m·R, Δf = 15·2^μ, slots per frame = 10 × slots per subframe, the UE's
and the BS's FR1 N_RB agree) and raises `SpecParseError` naming the file and the table.

    python -m sixg_learner.training.domain_qa [--specs DIR] [--out data/sixg/domain] [--seed 1] [--phrasings 2]

writes `domain-qa-<sha256[:12]>.jsonl` (hash of the content; one
`{"id", "messages": [user, assistant], "source", "fact"}` per line) and a `.meta.json` sidecar
(the spec files read with their SHA-256, counts per source), and prints the counts.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sixg_learner.files import repository_root

SPECS_ENV = "MAESTRO_SPECS_DIR"
REPO_ROOT = repository_root()
DEFAULT_SPECS_DIR = REPO_ROOT.parent / "shared" / "corpus" / "3gpp-specs"
DEFAULT_OUT = Path("data/sixg/domain")

MODULATION_ORDER = {"QPSK": 2, "16QAM": 4, "64QAM": 6, "256QAM": 8}
MODULATION_NAME = {order: name for name, order in MODULATION_ORDER.items()}


class SpecParseError(ValueError):
    """A table that is missing or does not read as expected; the message names the file and the table."""


def specs_dir(explicit: Path | str | None = None) -> Path:
    """`explicit`, else `$MAESTRO_SPECS_DIR`, else `../shared/corpus/3gpp-specs` beside the repository."""
    if explicit is not None:
        return Path(explicit)
    env = os.environ.get(SPECS_ENV)
    return Path(env) if env else DEFAULT_SPECS_DIR


def spec_file(directory: Path, number: str) -> Path | None:
    """The markdown of spec `number` (e.g. "38.214") in `directory`: `<number>_*.md`, the last by name."""
    matches = sorted(Path(directory).glob(f"{number}_*.md"))
    return matches[-1] if matches else None


# --------------------------------------------------------------------------------------------------------------------
# Markdown tables
# --------------------------------------------------------------------------------------------------------------------


def _cells(line: str) -> list[str]:
    return [re.sub(r"\s+", " ", cell).strip() for cell in line.strip().split("|")[1:-1]]


def pipe_table(markdown: str, number: str, where: str = "<markdown>") -> tuple[list[str], list[list[str]]]:
    """Header and body rows of the pipe table right after the line that starts with `Table <number>:`.

    Blank lines between the title and the table are skipped; the separator row (`| --- |`) is dropped;
    cells are trimmed with inner whitespace collapsed. The first title followed by a table is used.
    """
    lines = markdown.splitlines()
    title = f"Table {number}:"
    for index, line in enumerate(lines):
        if not line.startswith(title):
            continue
        block: list[list[str]] = []
        for following in lines[index + 1 : index + 200]:
            if not following.strip() and not block:
                continue  # blank lines between the title and its table
            if not following.startswith("|"):
                break
            block.append(_cells(following))
        if len(block) >= 2:
            header, body = block[0], block[1:]
            if body and all(re.fullmatch(r":?-+:?", cell) for cell in body[0] if cell):
                body = body[1:]
            return header, body
    raise SpecParseError(f"{where}: Table {number} not found (a line starting {title!r} followed by a pipe table)")


def _number(text: str, where: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise SpecParseError(f"{where}: {text!r} is not a number") from None


def _int(text: str, where: str) -> int:
    value = _number(text, where)
    if value != int(value):
        raise SpecParseError(f"{where}: {text!r} is not an integer")
    return int(value)


# --------------------------------------------------------------------------------------------------------------------
# The facts
# --------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RateRow:
    """One row of an MCS or CQI table (TS 38.214 §5.1.3.1, §5.2.2.1)."""

    index: int
    modulation_order: int
    code_rate_x1024: float
    efficiency: str
    """As printed (4 decimals, e.g. "0.3770")."""

    @property
    def modulation(self) -> str:
        return MODULATION_NAME[self.modulation_order]

    @property
    def rate_text(self) -> str:
        return f"{self.code_rate_x1024:g}"

    @property
    def rate(self) -> float:
        return self.code_rate_x1024 / 1024


@dataclass(frozen=True)
class RateTable:
    number: str
    """e.g. "5.1.3.1-1"."""
    title: str
    rows: tuple[RateRow, ...]
    reserved: tuple[tuple[int, int], ...] = ()
    """(index, Q_m) of the rows without a code rate (MCS tables only)."""
    out_of_range: tuple[int, ...] = ()
    """CQI indices marked "out of range"."""


MCS_TABLES = {
    "5.1.3.1-1": "MCS index table 1 for PDSCH (up to 64QAM)",
    "5.1.3.1-2": "MCS index table 2 for PDSCH (up to 256QAM)",
}
CQI_TABLES = {"5.2.2.1-2": "4-bit CQI table 1 (up to 64QAM)", "5.2.2.1-3": "4-bit CQI table 2 (up to 256QAM)"}
MCS_FOR_CQI = {"5.2.2.1-2": "5.1.3.1-1", "5.2.2.1-3": "5.1.3.1-2"}
"""The MCS table scheduled with each CQI table (cqi-Table table1 ↔ mcs-Table qam64, table2 ↔ qam256)."""


def _check_efficiency(row: RateRow, where: str) -> None:
    # the printed efficiency is Q_m · R rounded to 4 decimals: a check that the columns were read right
    if abs(row.modulation_order * row.rate - float(row.efficiency)) > 6e-5:
        raise SpecParseError(f"{where}: index {row.index}: efficiency {row.efficiency} ≠ Q_m·R")


def parse_mcs_table(markdown: str, number: str, where: str) -> RateTable:
    _, body = pipe_table(markdown, number, where)
    rows, reserved = [], []
    for cells in body:
        here = f"{where}: Table {number}"
        if len(cells) < 4:
            raise SpecParseError(f"{here}: row {cells} has fewer than 4 cells")
        index, order = _int(cells[0], here), _int(cells[1], here)
        if cells[2].lower() == "reserved":
            reserved.append((index, order))
            continue
        row = RateRow(index, order, _number(cells[2], here), cells[3])
        _check_efficiency(row, here)
        rows.append(row)
    if [r.index for r in rows] != list(range(len(rows))) or not rows:
        raise SpecParseError(f"{where}: Table {number}: MCS indices are not 0..{len(rows) - 1}")
    return RateTable(number, MCS_TABLES.get(number, number), tuple(rows), tuple(reserved))


def parse_cqi_table(markdown: str, number: str, where: str) -> RateTable:
    _, body = pipe_table(markdown, number, where)
    rows, out_of_range = [], []
    for cells in body:
        here = f"{where}: Table {number}"
        index = _int(cells[0], here)
        if cells[1].lower() == "out of range":
            out_of_range.append(index)
            continue
        if cells[1] not in MODULATION_ORDER:
            raise SpecParseError(f"{here}: CQI {index}: unknown modulation {cells[1]!r}")
        row = RateRow(index, MODULATION_ORDER[cells[1]], _number(cells[2], here), cells[3])
        _check_efficiency(row, here)
        rows.append(row)
    if [r.index for r in rows] != list(range(1, len(rows) + 1)) or not rows:
        raise SpecParseError(f"{where}: Table {number}: CQI indices are not 1..{len(rows)}")
    return RateTable(number, CQI_TABLES.get(number, number), tuple(rows), out_of_range=tuple(out_of_range))


@dataclass(frozen=True)
class NrbTable:
    """N_RB per (SCS kHz, channel bandwidth MHz); None where the table says N/A."""

    spec: str
    number: str
    range_name: str
    """FR1, FR2-1 or FR2-2."""
    side: str
    """"UE" (TS 38.101-1) or "BS" (TS 38.104)."""
    nrb: dict[tuple[int, int], int | None]

    @property
    def scs_values(self) -> list[int]:
        return sorted({scs for scs, _ in self.nrb})

    @property
    def bandwidths(self) -> list[int]:
        return sorted({bw for _, bw in self.nrb})


def parse_nrb_table(markdown: str, number: str, where: str, spec: str, range_name: str, side: str) -> NrbTable:
    header, body = pipe_table(markdown, number, where)
    here = f"{where}: Table {number}"
    bandwidths = []
    for cell in header[1:]:
        match = re.fullmatch(r"(\d+)\s*MHz", cell)
        if not match:
            raise SpecParseError(f"{here}: header cell {cell!r} is not a bandwidth")
        bandwidths.append(int(match.group(1)))
    nrb: dict[tuple[int, int], int | None] = {}
    for cells in body:
        if not re.fullmatch(r"\d+", cells[0]):
            continue  # the "NRB" label row, notes
        scs = int(cells[0])
        for bw, cell in zip(bandwidths, cells[1:], strict=True):
            nrb[(scs, bw)] = None if cell == "N/A" else _int(cell, here)
    if not nrb:
        raise SpecParseError(f"{here}: no SCS rows")
    for (scs, bw), n in nrb.items():  # the configuration fits the channel: N_RB · 12 · SCS < bandwidth
        if n is not None and not n * 12 * scs < bw * 1000:
            raise SpecParseError(f"{here}: {n} PRBs of {scs} kHz do not fit {bw} MHz")
    return NrbTable(spec, number, range_name, side, nrb)


@dataclass(frozen=True)
class FiveQi:
    value: int
    resource_type: str
    priority: int
    pdb_ms: int
    per_exponent: int
    """The packet error rate is 10^per_exponent."""
    mdbv_bytes: int | None
    averaging_window_ms: int | None
    services: str
    """The example services, references and notes removed."""

    @property
    def per(self) -> str:
        return f"10^{self.per_exponent}"


_REF = re.compile(r"\s*\[\d+\]")
_NOTE = re.compile(r"\(\s*NOTE[^)]*\)|NOTE \d+,?\s*")
_CITATION = re.compile(r"^(see\s+|e\.g\.\s+)?TS\s+[\d.]+$|^NOTE\s+\d+$", re.IGNORECASE)


def _clean_group(content: str) -> str:
    """A parenthesised remark without its citations: "(Remote Driving. See TS 22.186, NOTE 16)" → "Remote Driving"."""
    kept = []
    for sentence in re.split(r"(?<!e\.g)\.\s+(?=[A-Z])", content):
        if re.match(r"\s*see\s+TS", sentence, re.IGNORECASE):
            continue
        parts = [p.strip() for p in sentence.split(",")]
        parts = [p for p in parts if p and not _CITATION.match(p)]
        if parts:
            kept.append(", ".join(parts))
    return ". ".join(kept)


def _clean_services(text: str) -> str:
    """The example-services cell without citations and notes, its lost line breaks made separators."""
    text = _REF.sub("", text)
    text = re.sub(r"\(([^()]*)\)", lambda m: f"({c})" if (c := _clean_group(m.group(1))) else "", text)
    text = _NOTE.sub("", text)
    text = re.sub(r"\)\.?(?=[A-Z])", "); ", text)  # cells that were lines: "Video (Buffered Streaming)TCP-based"
    text = re.sub(r"\.(?=[A-Z])", "; ", text)
    text = re.sub(r"\s*;\s*", "; ", text)
    text = re.sub(r",(?=\S)", ", ", text)
    text = re.sub(r"(,\s*)+(?=[,;])|,\s*(?=,)", "", text)
    text = re.sub(r"\s+", " ", text).strip(" .,;")
    return text


def split_services(services: str) -> list[str]:
    """The service names of a cleaned services cell: split on top-level commas and semicolons."""
    parts, depth, current = [], 0, ""
    for char in services:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char in ",;" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p.strip(" .") for p in parts if p.strip(" .")]


def parse_5qi_table(markdown: str, where: str) -> list[FiveQi]:
    """TS 23.501 Table 5.7.4-1. Merged cells come out blank: the resource type holds until the next one, and a
    row without a delay budget is the rest of the row above it (the spec merges 5QI 8 and 9's cells)."""
    _, body = pipe_table(markdown, "5.7.4-1", where)
    here = f"{where}: Table 5.7.4-1"
    entries: list[dict[str, Any]] = []
    resource_type = ""
    for cells in body:
        match = re.match(r"(\d+)", cells[0])
        if not match:
            continue  # the notes row
        value = int(match.group(1))
        kind = _NOTE.sub("", cells[1]).strip()
        if kind:
            resource_type = kind
        if not resource_type:
            raise SpecParseError(f"{here}: 5QI {value} has no resource type")
        entry: dict[str, Any] = {"value": value, "resource_type": resource_type, "priority": _int(cells[2], here)}
        if not cells[3]:  # merged with the row above: same PDB, PER, …; the services cell continues
            if not entries:
                raise SpecParseError(f"{here}: 5QI {value} continues no row")
            above = entries[-1]
            above["services_raw"] = f"{above['services_raw']} {cells[7]}".strip()
            entries.append({**above, "value": value, "priority": entry["priority"], "shares_with": above["value"]})
            continue
        pdb = re.match(r"(\d+)\s*ms", cells[3])
        per = re.fullmatch(r"10\s*-\s*(\d+)", cells[4])
        if not pdb or not per:
            raise SpecParseError(f"{here}: 5QI {value}: cannot read PDB {cells[3]!r} or PER {cells[4]!r}")
        mdbv = re.match(r"(\d+)\s*bytes", cells[5])
        window = re.match(r"(\d+)\s*ms", cells[6])
        entry.update(
            pdb_ms=int(pdb.group(1)),
            per_exponent=-int(per.group(1)),
            mdbv_bytes=int(mdbv.group(1)) if mdbv else None,
            averaging_window_ms=int(window.group(1)) if window else None,
            services_raw=cells[7],
        )
        entries.append(entry)
    # a continuation row's services belong to both rows it merges
    by_value = {e["value"]: e for e in entries}
    for e in entries:
        if "shares_with" in e:
            e["services_raw"] = by_value[e["shares_with"]]["services_raw"]
    out = [
        FiveQi(
            value=e["value"],
            resource_type=e["resource_type"],
            priority=e["priority"],
            pdb_ms=e["pdb_ms"],
            per_exponent=e["per_exponent"],
            mdbv_bytes=e["mdbv_bytes"],
            averaging_window_ms=e["averaging_window_ms"],
            services=_clean_services(e["services_raw"]),
        )
        for e in entries
    ]
    if len({q.value for q in out}) != len(out) or not out:
        raise SpecParseError(f"{here}: duplicate or no 5QI values")
    return out


@dataclass(frozen=True)
class Numerology:
    mu: int
    scs_khz: int
    cyclic_prefixes: tuple[str, ...]
    symbols_per_slot: int
    slots_per_frame: int
    slots_per_subframe: int
    extended_symbols_per_slot: int | None

    @property
    def slot_ms(self) -> float:
        return 1.0 / self.slots_per_subframe  # a subframe is 1 ms (TS 38.211 §4.3.1)


def parse_numerology(markdown: str, where: str) -> list[Numerology]:
    """TS 38.211 Tables 4.2-1 (μ, Δf, cyclic prefix) and 4.3.2-1 / 4.3.2-2 (symbols and slots, normal / extended CP).

    The corpus lost these tables' headers (they were formulas): the columns are read by position and
    checked (Δf = 15·2^μ kHz, slots per frame = 10 × slots per subframe = 10·2^μ)."""
    _, numerologies = pipe_table(markdown, "4.2-1", where)
    _, normal = pipe_table(markdown, "4.3.2-1", where)
    _, extended = pipe_table(markdown, "4.3.2-2", where)
    slots = {_int(c[0], where): [_int(x, where) for x in c[1:4]] for c in normal}
    ext = {_int(c[0], where): _int(c[1], where) for c in extended}
    out = []
    for cells in numerologies:
        mu, scs = _int(cells[0], where), _int(cells[1], where)
        if scs != 15 * 2**mu or mu not in slots:
            raise SpecParseError(f"{where}: Table 4.2-1: μ {mu} with Δf {scs} kHz (expected {15 * 2**mu}) or no slots")
        symbols, per_frame, per_subframe = slots[mu]
        if per_frame != 10 * per_subframe or per_subframe != 2**mu:
            raise SpecParseError(f"{where}: Table 4.3.2-1: μ {mu}: {per_frame} slots/frame, {per_subframe}/subframe")
        prefixes = tuple(p.strip().lower() for p in cells[2].split(","))
        out.append(Numerology(mu, scs, prefixes, symbols, per_frame, per_subframe, ext.get(mu)))
    return out


@dataclass
class Corpus:
    """The parsed tables (None / empty where the spec file is absent) and the files read."""

    mcs: list[RateTable]
    cqi: list[RateTable]
    nrb: list[NrbTable]
    five_qi: list[FiveQi]
    numerology: list[Numerology]
    files: dict[str, Path]
    missing: list[str]


def load_corpus(directory: Path) -> Corpus:
    """Parses every table above from the spec files in `directory`; a missing spec file is skipped (and listed)."""
    files: dict[str, Path] = {}
    missing: list[str] = []

    def read(number: str) -> tuple[str, str] | None:
        path = spec_file(directory, number)
        if path is None:
            missing.append(number)
            return None
        files[number] = path
        return path.read_text(encoding="utf-8"), path.name

    corpus = Corpus([], [], [], [], [], files, missing)
    if (doc := read("38.214")) is not None:
        corpus.mcs = [parse_mcs_table(doc[0], n, doc[1]) for n in MCS_TABLES]
        corpus.cqi = [parse_cqi_table(doc[0], n, doc[1]) for n in CQI_TABLES]
    if (doc := read("38.101-1")) is not None:
        corpus.nrb.append(parse_nrb_table(doc[0], "5.3.2-1", doc[1], "TS 38.101-1", "FR1", "UE"))
    if (doc := read("38.104")) is not None:
        for number, fr in (("5.3.2-1", "FR1"), ("5.3.2-2", "FR2-1"), ("5.3.2-3", "FR2-2")):
            corpus.nrb.append(parse_nrb_table(doc[0], number, doc[1], "TS 38.104", fr, "BS"))
    fr1 = [t for t in corpus.nrb if t.range_name == "FR1"]
    if len(fr1) == 2 and fr1[0].nrb != fr1[1].nrb:
        raise SpecParseError("TS 38.101-1 and TS 38.104 Table 5.3.2-1 disagree on the FR1 N_RB")
    if (doc := read("23.501")) is not None:
        corpus.five_qi = parse_5qi_table(doc[0], doc[1])
    if (doc := read("38.211")) is not None:
        corpus.numerology = parse_numerology(doc[0], doc[1])
    return corpus


# --------------------------------------------------------------------------------------------------------------------
# Questions and answers
# --------------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pair:
    id: str
    question: str
    answer: str
    source: str
    fact: str
    """The fact's key: the phrasings of one fact share it."""

    def record(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "messages": [{"role": "user", "content": self.question}, {"role": "assistant", "content": self.answer}],
            "source": self.source,
            "fact": self.fact,
        }


class Builder:
    """Collects pairs: each fact's question in `phrasings` templates drawn (seeded by fact) from its list."""

    def __init__(self, seed: int, phrasings: int) -> None:
        self.seed, self.phrasings = seed, phrasings
        self.pairs: list[Pair] = []

    def add(self, fact: str, source: str, templates: Sequence[str], answer: str, **slots: object) -> None:
        rng = random.Random(f"{self.seed}:{fact}")
        chosen = rng.sample(range(len(templates)), min(self.phrasings, len(templates)))
        for k, t in enumerate(chosen):
            question = templates[t].format(**slots)
            self.pairs.append(Pair(f"{fact}#{k}", question, answer, source, fact))


def _ms(value: float) -> str:
    return f"{value:g} ms" if value >= 0.1 else f"{value:g} ms ({value * 1000:g} µs)"


MCS_ALIASES = {
    "5.1.3.1-1": (
        "MCS index table 1 (Table 5.1.3.1-1 of TS 38.214)",
        "the 64QAM MCS table (TS 38.214 Table 5.1.3.1-1)",
        "TS 38.214 Table 5.1.3.1-1",
    ),
    "5.1.3.1-2": (
        "MCS index table 2 (Table 5.1.3.1-2 of TS 38.214)",
        "the 256QAM MCS table (TS 38.214 Table 5.1.3.1-2)",
        "TS 38.214 Table 5.1.3.1-2",
    ),
}
CQI_ALIASES = {
    "5.2.2.1-2": ("CQI table 1 (TS 38.214 Table 5.2.2.1-2)", "the 64QAM CQI table (Table 5.2.2.1-2 of TS 38.214)"),
    "5.2.2.1-3": ("CQI table 2 (TS 38.214 Table 5.2.2.1-3)", "the 256QAM CQI table (Table 5.2.2.1-3 of TS 38.214)"),
}


def _alias(aliases: Sequence[str], fact: str, seed: int) -> str:
    return aliases[random.Random(f"{seed}:alias:{fact}").randrange(len(aliases))]


def mcs_pairs(b: Builder, table: RateTable) -> None:
    source = f"TS 38.214 Table {table.number}"
    short = f"table {table.number[-1]}"
    for row in table.rows:
        key = f"mcs{table.number[-1]}-{row.index}"
        name = _alias(MCS_ALIASES[table.number], key, b.seed)
        rate = f"R × 1024 = {row.rate_text} (R ≈ {row.rate:.4f})"
        b.add(
            f"{key}-row",
            source,
            [
                "In {t}, what are the modulation order, target code rate and spectral efficiency of MCS index {i}?",
                "Give the Q_m, code rate and spectral efficiency for I_MCS = {i} in {t}.",
                "What does MCS {i} of {t} map to?",
                "PDSCH MCS {i}, {s}: modulation, target code rate and efficiency?",
            ],
            f"{row.modulation} (Q_m = {row.modulation_order}), target code rate {rate}, "
            f"spectral efficiency {row.efficiency} bit/s/Hz.",
            t=name,
            i=row.index,
            s=short,
        )
        b.add(
            f"{key}-mod",
            source,
            [
                "Which modulation does MCS index {i} use in {t}?",
                "What is the modulation order Q_m of I_MCS {i} in {t}?",
                "With {t}, MCS {i} is which modulation?",
                "Modulation of MCS {i} ({s}, TS 38.214)?",
            ],
            f"{row.modulation} (Q_m = {row.modulation_order}).",
            t=name,
            i=row.index,
            s=f"MCS {short}",
        )
        b.add(
            f"{key}-rate",
            source,
            [
                "What is the target code rate of MCS index {i} in {t}?",
                "Target code rate R for I_MCS = {i}, {t}?",
                "In {t}, which code rate does MCS {i} use?",
            ],
            f"{rate}.",
            t=name,
            i=row.index,
        )
        b.add(
            f"{key}-eff",
            source,
            [
                "What spectral efficiency does MCS index {i} give in {t}?",
                "Spectral efficiency of I_MCS {i} in {t}, in bit/s/Hz?",
                "How many bits per resource element does MCS {i} of {t} carry?",
            ],
            f"{row.efficiency} bit/s/Hz ({row.modulation}, R × 1024 = {row.rate_text}).",
            t=name,
            i=row.index,
        )
    for index, order in table.reserved:
        key = f"mcs{table.number[-1]}-{index}"
        b.add(
            f"{key}-reserved",
            source,
            ["What does MCS index {i} mean in {t}?", "Can MCS {i} of {t} be used for an initial transmission?"],
            f"It is reserved: Q_m = {order} ({MODULATION_NAME[order]}), no target code rate of its own "
            "(used for retransmissions).",
            t=_alias(MCS_ALIASES[table.number], key, b.seed),
            i=index,
        )
    # the MCS range of each modulation
    for order in sorted({r.modulation_order for r in table.rows}):
        rows = [r for r in table.rows if r.modulation_order == order]
        b.add(
            f"mcs{table.number[-1]}-range-{order}",
            source,
            [
                "Which MCS indices of {t} use {m}?",
                "In {t}, what is the lowest and the highest MCS index with {m}?",
                "{m} spans which I_MCS values in {t}?",
            ],
            f"MCS {rows[0].index} to {rows[-1].index} (R × 1024 from {rows[0].rate_text} to {rows[-1].rate_text}).",
            t=_alias(MCS_ALIASES[table.number], f"range-{order}", b.seed),
            m=MODULATION_NAME[order],
        )


def cqi_pairs(b: Builder, table: RateTable, mcs: RateTable | None) -> None:
    source = f"TS 38.214 Table {table.number}"
    n = table.number[-1]
    for row in table.rows:
        key = f"cqi{n}-{row.index}"
        name = _alias(CQI_ALIASES[table.number], key, b.seed)
        b.add(
            f"{key}-row",
            source,
            [
                "In {t}, what modulation, code rate and efficiency does CQI index {i} stand for?",
                "A UE reports CQI {i} against {t}. Which modulation and code rate is that?",
                "What does CQI {i} mean in {t}?",
                "CQI index {i}, {t}: modulation, code rate × 1024, efficiency?",
            ],
            f"{row.modulation}, code rate × 1024 = {row.rate_text}, efficiency {row.efficiency} bit/s/Hz.",
            t=name,
            i=row.index,
        )
        b.add(
            f"{key}-eff",
            source,
            ["What spectral efficiency corresponds to CQI {i} in {t}?", "Efficiency of CQI index {i} ({t})?"],
            f"{row.efficiency} bit/s/Hz.",
            t=name,
            i=row.index,
        )
        if mcs is None:
            continue
        match = [
            m
            for m in mcs.rows
            if (m.modulation_order, m.code_rate_x1024) == (row.modulation_order, row.code_rate_x1024)
        ]
        mcs_name = _alias(MCS_ALIASES[mcs.number], key, b.seed)
        if match:
            answer = (
                f"MCS {match[0].index}: {row.modulation}, R × 1024 = {row.rate_text} in both "
                f"(efficiency {row.efficiency} bit/s/Hz)."
            )
        else:
            below = [m for m in mcs.rows if float(m.efficiency) <= float(row.efficiency)]
            answer = (
                f"None matches exactly; the highest MCS not above its efficiency {row.efficiency} is "
                f"MCS {below[-1].index} ({below[-1].modulation}, R × 1024 = {below[-1].rate_text}, "
                f"{below[-1].efficiency} bit/s/Hz)."
                if below
                else f"None: every MCS of Table {mcs.number} is above efficiency {row.efficiency}."
            )
        b.add(
            f"{key}-to-mcs",
            f"{source} + Table {mcs.number}",
            [
                "A UE reports CQI {i} from {t}. Which MCS index of {m} has the same modulation and code rate?",
                "Map CQI {i} ({t}) to an MCS index of {m}.",
                "Which I_MCS of {m} matches CQI index {i} of {t}?",
            ],
            answer,
            t=name,
            m=mcs_name,
            i=row.index,
        )
    for index in table.out_of_range:
        b.add(
            f"cqi{n}-{index}-oor",
            source,
            ["What does CQI index {i} mean in {t}?", "A UE reports CQI {i} ({t}). What does it signal?"],
            "Out of range: no modulation or code rate (the channel cannot support even the lowest CQI).",
            t=_alias(CQI_ALIASES[table.number], f"oor{index}", b.seed),
            i=index,
        )


def _a(number: int) -> str:
    """The article before a spoken number: "an 80 MHz", "an 11 kHz", "a 20 MHz"."""
    return "an" if str(number).startswith("8") or number in (11, 18) else "a"


def _nrb_templates(table: NrbTable) -> list[str]:
    if table.side == "UE":
        return [
            "How many PRBs does {a} {bw} MHz NR channel with {scs} kHz subcarrier spacing have?",
            "What is the maximum transmission bandwidth configuration N_RB of {a} {bw} MHz UE channel at {scs} kHz?",
            "A UE uses {a} {bw} MHz carrier in FR1 with SCS {scs} kHz. How many resource blocks can be scheduled?",
            "N_RB for {scs} kHz SCS and {bw} MHz channel bandwidth (TS 38.101-1)?",
            "FR1, {bw} MHz, {scs} kHz subcarriers: how many PRBs?",
        ]
    return [
        "How many PRBs does a base station carrier of {bw} MHz at {scs} kHz SCS have in {fr}?",
        "What is the BS transmission bandwidth configuration N_RB for {bw} MHz and {scs} kHz in {fr} (TS 38.104)?",
        "A gNB runs {a} {bw} MHz carrier in {fr} with {scs} kHz subcarrier spacing. How many resource blocks?",
        "N_RB of a gNB in {fr}, SCS {scs} kHz, {bw} MHz channel?",
    ]


def nrb_pairs(b: Builder, table: NrbTable, numerology: dict[int, Numerology]) -> None:
    source = f"{table.spec} Table {table.number}"
    tag = f"nrb-{table.side.lower()}-{table.range_name.lower()}"
    for (scs, bw), n in sorted(table.nrb.items()):
        key = f"{tag}-{scs}-{bw}"
        if n is None:
            answer = f"None: {scs} kHz SCS is not specified for {_a(bw)} {bw} MHz channel in {table.range_name} (N/A)."
        else:
            answer = f"{n} PRBs ({n * 12} subcarriers, {n * 12 * scs / 1000:g} MHz transmission bandwidth)."
        b.add(key, source, _nrb_templates(table), answer, scs=scs, bw=bw, a=_a(bw), fr=table.range_name)
        if n is not None and table.side == "UE" and scs in numerology:
            nu = numerology[scs]
            b.add(
                f"{key}-slot",
                f"{source} + TS 38.211 Table 4.3.2-1",
                [
                    "At {scs} kHz SCS and {bw} MHz, how many PRBs are there and how long is a slot?",
                    "For {a} {bw} MHz carrier with {scs} kHz subcarrier spacing, give N_RB and the slot duration.",
                    "A cell runs {bw} MHz at {scs} kHz SCS (normal CP). PRBs and slot length?",
                ],
                f"{n} PRBs and a slot of {_ms(nu.slot_ms)} (μ = {nu.mu}, {nu.symbols_per_slot} OFDM symbols per slot).",
                scs=scs,
                bw=bw,
                a=_a(bw),
            )
    for bw in table.bandwidths:
        options = [(scs, table.nrb.get((scs, bw))) for scs in table.scs_values]
        valid = [f"{scs} kHz: {n} PRBs" for scs, n in options if n is not None]
        if not valid:
            continue
        b.add(
            f"{tag}-bw-{bw}",
            source,
            [
                "Which subcarrier spacings can {a} {bw} MHz {side} channel in {fr} use, and with how many PRBs each?",
                "List the SCS options and N_RB for {a} {bw} MHz {side} channel bandwidth in {fr}.",
                "For {bw} MHz in {fr} ({side}), which SCS values are defined and what is N_RB for each?",
            ],
            "; ".join(valid) + ".",
            a=_a(bw),
            bw=bw,
            fr=table.range_name,
            side=table.side,
        )


def five_qi_pairs(b: Builder, entries: Sequence[FiveQi]) -> None:
    source = "TS 23.501 Table 5.7.4-1"
    for q in entries:
        key = f"5qi-{q.value}"
        b.add(
            f"{key}-row",
            source,
            [
                "What are the standardized QoS characteristics of 5QI {v}?",
                "Summarize 5QI {v} from TS 23.501: resource type, priority, delay budget and error rate.",
                "5QI {v}: resource type, default priority, PDB and PER?",
            ],
            f"{q.resource_type}, default priority level {q.priority}, packet delay budget {q.pdb_ms} ms, "
            f"packet error rate {q.per}" + (f", default MDBV {q.mdbv_bytes} bytes" if q.mdbv_bytes else "") + ".",
            v=q.value,
        )
        b.add(
            f"{key}-pdb",
            source,
            [
                "What is the packet delay budget of 5QI {v}?",
                "Which PDB does the standardized 5QI {v} have?",
                "How much delay does 5QI {v} allow (packet delay budget)?",
                "5QI {v} packet delay budget in ms?",
            ],
            f"{q.pdb_ms} ms.",
            v=q.value,
        )
        b.add(
            f"{key}-per",
            source,
            [
                "What packet error rate does 5QI {v} allow?",
                "Which PER is standardized for 5QI {v}?",
                "5QI {v}: packet error rate?",
            ],
            f"{q.per}.",
            v=q.value,
        )
        b.add(
            f"{key}-type",
            source,
            [
                "Is 5QI {v} GBR, Non-GBR or Delay-critical GBR?",
                "Which resource type does 5QI {v} have?",
                "Resource type of the standardized 5QI {v}?",
            ],
            f"{q.resource_type}.",
            v=q.value,
        )
        b.add(
            f"{key}-priority",
            source,
            ["What is the default priority level of 5QI {v}?", "5QI {v}: default priority level?"],
            f"{q.priority}.",
            v=q.value,
        )
        b.add(
            f"{key}-services",
            source,
            [
                "Which example services does TS 23.501 list for 5QI {v}?",
                "What services is 5QI {v} meant for?",
                "Give example services of the standardized 5QI {v}.",
            ],
            f"{q.services}.",
            v=q.value,
        )
        if q.mdbv_bytes is not None:
            b.add(
                f"{key}-mdbv",
                source,
                [
                    "What is the default maximum data burst volume of 5QI {v}?",
                    "Default MDBV of the delay-critical GBR 5QI {v}?",
                ],
                f"{q.mdbv_bytes} bytes.",
                v=q.value,
            )
    # services listed under exactly one 5QI: which 5QI suits them, with its delay budget
    owners: dict[str, list[FiveQi]] = defaultdict(list)
    for q in entries:
        for service in split_services(q.services):
            if len(service) >= 5 and q not in owners[service.lower()]:
                owners[service.lower()].append(q)
    names = {s.lower(): s for q in entries for s in split_services(q.services)}
    for lowered, qs in sorted(owners.items()):
        if len(qs) != 1:
            continue
        q = qs[0]
        b.add(
            f"5qi-service-{hashlib.sha256(lowered.encode()).hexdigest()[:8]}",
            source,
            [
                "Which standardized 5QI suits {s}, and what delay budget does it give?",
                "A slice carries {s}. Which 5QI should its QoS flow use, with which packet delay budget?",
                "Pick the standardized 5QI for {s} and state its PDB and PER.",
            ],
            f"5QI {q.value} ({q.resource_type}): packet delay budget {q.pdb_ms} ms, packet error rate {q.per}.",
            s=names[lowered],
        )
    # the tightest delay budget per resource type
    for kind in sorted({q.resource_type for q in entries}):
        group = [q for q in entries if q.resource_type == kind]
        tightest = min(q.pdb_ms for q in group)
        values = ", ".join(str(q.value) for q in group if q.pdb_ms == tightest)
        b.add(
            f"5qi-tightest-{kind.lower().replace(' ', '-')}",
            source,
            [
                "Which {k} 5QI has the smallest packet delay budget, and what is it?",
                "Among the standardized {k} 5QIs, which has the tightest PDB?",
            ],
            f"5QI {values}: {tightest} ms.",
            k=kind,
        )


def numerology_pairs(b: Builder, numerology: Sequence[Numerology]) -> None:
    source = "TS 38.211 Table 4.2-1 + Table 4.3.2-1"
    for nu in numerology:
        key = f"mu-{nu.mu}"
        b.add(
            f"{key}-scs",
            "TS 38.211 Table 4.2-1",
            [
                "What subcarrier spacing does numerology μ = {mu} use?",
                "Δf for μ = {mu} in NR?",
                "Which SCS corresponds to NR numerology {mu}?",
            ],
            f"{nu.scs_khz} kHz (Δf = 2^μ · 15 kHz).",
            mu=nu.mu,
        )
        b.add(
            f"{key}-mu",
            "TS 38.211 Table 4.2-1",
            ["Which numerology μ has {scs} kHz subcarrier spacing?", "{scs} kHz SCS is which μ?"],
            f"μ = {nu.mu}.",
            scs=nu.scs_khz,
        )
        b.add(
            f"{key}-cp",
            "TS 38.211 Table 4.2-1",
            [
                "Which cyclic prefixes are supported at {scs} kHz SCS?",
                "Can {scs} kHz SCS use an extended cyclic prefix?",
            ],
            " and ".join(p.capitalize() if i == 0 else p for i, p in enumerate(nu.cyclic_prefixes))
            + (" cyclic prefix." if len(nu.cyclic_prefixes) == 1 else " cyclic prefixes."),
            scs=nu.scs_khz,
        )
        b.add(
            f"{key}-slot",
            source,
            [
                "How long is a slot at {scs} kHz subcarrier spacing (normal CP)?",
                "Slot duration for μ = {mu}?",
                "What is the NR slot length with {scs} kHz SCS?",
                "At numerology {mu}, how long does one slot last?",
            ],
            f"{_ms(nu.slot_ms)}: {nu.slots_per_subframe} slot{'s' if nu.slots_per_subframe > 1 else ''} per 1 ms "
            f"subframe, {nu.symbols_per_slot} OFDM symbols per slot.",
            scs=nu.scs_khz,
            mu=nu.mu,
        )
        b.add(
            f"{key}-frame",
            "TS 38.211 Table 4.3.2-1",
            [
                "How many slots does a 10 ms frame have at {scs} kHz SCS?",
                "Number of slots per frame for μ = {mu}?",
                "Slots per frame and per subframe at {scs} kHz subcarrier spacing?",
            ],
            f"{nu.slots_per_frame} slots per frame, {nu.slots_per_subframe} per subframe.",
            scs=nu.scs_khz,
            mu=nu.mu,
        )
        b.add(
            f"{key}-symbols",
            "TS 38.211 Table 4.3.2-1" + (" + Table 4.3.2-2" if nu.extended_symbols_per_slot else ""),
            [
                "How many OFDM symbols are in a slot at {scs} kHz SCS?",
                "OFDM symbols per slot for μ = {mu}?",
            ],
            f"{nu.symbols_per_slot} with normal cyclic prefix"
            + (f", {nu.extended_symbols_per_slot} with extended" if nu.extended_symbols_per_slot else "")
            + ".",
            scs=nu.scs_khz,
            mu=nu.mu,
        )


def generate_pairs(corpus: Corpus, seed: int = 1, phrasings: int = 2) -> list[Pair]:
    """Every pair the parsed corpus gives, in a fixed order (by source, then by fact)."""
    b = Builder(seed, phrasings)
    mcs_by_number = {t.number: t for t in corpus.mcs}
    for table in corpus.mcs:
        mcs_pairs(b, table)
    for table in corpus.cqi:
        cqi_pairs(b, table, mcs_by_number.get(MCS_FOR_CQI[table.number]))
    by_scs = {nu.scs_khz: nu for nu in corpus.numerology}
    for table in corpus.nrb:
        nrb_pairs(b, table, by_scs)
    five_qi_pairs(b, corpus.five_qi)
    numerology_pairs(b, corpus.numerology)
    ids = Counter(p.id for p in b.pairs)
    duplicated = [i for i, n in ids.items() if n > 1]
    if duplicated:
        raise AssertionError(f"duplicate pair ids: {duplicated[:5]}")
    return b.pairs


# --------------------------------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------------------------------


def pairs_jsonl(pairs: Sequence[Pair]) -> str:
    return "".join(json.dumps(p.record(), ensure_ascii=False) + "\n" for p in pairs)


def write_pairs(pairs: Sequence[Pair], out_dir: Path, meta: dict[str, Any] | None = None) -> Path:
    """Writes `domain-qa-<sha256[:12]>.jsonl` (hash of the content, as `task.write_tasks`) and a `.meta.json`."""
    text = pairs_jsonl(pairs)
    digest = hashlib.sha256(text.encode()).hexdigest()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"domain-qa-{digest[:12]}.jsonl"
    path.write_text(text, encoding="utf-8")
    if meta is not None:
        sidecar = path.with_suffix(".meta.json")
        sidecar.write_text(json.dumps({"file": path.name, "sha256": digest, **meta}, indent=2) + "\n")
    return path


def load_pairs(path: Path | str) -> list[dict[str, Any]]:
    """The records of a Q&A file; each must have `messages` ending with an assistant turn."""
    records = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        record = json.loads(line)
        messages = record.get("messages")
        if not messages or messages[-1].get("role") != "assistant":
            raise ValueError(f"{path}:{number}: `messages` must end with an assistant message")
        records.append(record)
    if not records:
        raise ValueError(f"{path}: no Q&A pairs")
    return records


def source_counts(pairs: Sequence[Pair]) -> dict[str, int]:
    return dict(sorted(Counter(p.source for p in pairs).items()))


LATEST_NAME = "qa.jsonl"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Telecom Q&A (chat JSONL) from the 3GPP spec tables.")
    parser.add_argument(
        "--specs", type=Path, default=None, help=f"spec markdown folder (${SPECS_ENV}, else {DEFAULT_SPECS_DIR})"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (%(default)s)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the phrasing choice")
    parser.add_argument("--phrasings", type=int, default=2, help="question phrasings per fact (at most the templates)")
    args = parser.parse_args(argv)
    directory = specs_dir(args.specs)
    if not directory.is_dir():
        print(f"no spec folder at {directory} (set --specs or ${SPECS_ENV})", file=sys.stderr)
        return 2
    corpus = load_corpus(directory)
    pairs = generate_pairs(corpus, args.seed, args.phrasings)
    counts = source_counts(pairs)
    meta = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "generator": {"seed": args.seed, "phrasings": args.phrasings},
        "specs": {
            number: {"file": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
            for number, path in sorted(corpus.files.items())
        },
        "missing_specs": corpus.missing,
        "pairs": len(pairs),
        "facts": len({p.fact for p in pairs}),
        "counts": counts,
    }
    path = write_pairs(pairs, args.out, meta)
    # `qa.jsonl` names the newest file for the retraining schedule (temporal.yaml); the hashed name stays the record
    latest = args.out / LATEST_NAME
    latest.unlink(missing_ok=True)
    latest.symlink_to(path.name)
    for source, n in counts.items():
        print(f"{n:6d}  {source}")
    print(f"{len(pairs):6d}  pairs ({meta['facts']} facts) → {path}")
    if corpus.missing:
        print(f"missing specs (skipped): {', '.join(corpus.missing)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
