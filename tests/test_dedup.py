"""Web-text dedup on the committed quality set (tests/data/dedup_quality.jsonl,
built by benchmarks/dedup_fixture.py): near-copy groups, a page 40 times, and
distinct code, tables and chord sheets."""

import json
from collections import Counter
from pathlib import Path

import pytest

from selfalign.humback.dedup import MinHashSettings, first_exact_copies, near_copy_survivors

FIXTURE = Path(__file__).parent / "data" / "dedup_quality.jsonl"


@pytest.fixture(scope="module")
def kept_groups(tmp_path_factory):
    rows = [json.loads(line) for line in FIXTURE.read_text().splitlines()]
    texts = [r["text"] for r in rows]
    first = first_exact_copies(texts)
    kept = near_copy_survivors(
        [texts[i] for i in first], MinHashSettings(), tmp_path_factory.mktemp("dedup"), workers=2
    )
    return Counter(rows[first[i]]["group"] for i in kept), Counter(r["group"] for r in rows)


def test_every_group_of_near_copies_keeps_exactly_one_text(kept_groups):
    kept, groups = kept_groups
    copied = {g: n for g, n in groups.items() if not g.startswith("distinct")}
    assert copied["page-x40"] == 40 and len(copied) == 6
    assert {g: kept[g] for g in copied} == dict.fromkeys(copied, 1)


def test_no_distinct_text_is_dropped_code_tables_and_chord_sheets_included(kept_groups):
    kept, groups = kept_groups
    distinct = [g for g in groups if g.startswith("distinct")]
    assert len(distinct) == 20
    assert [g for g in distinct if kept[g] != 1] == []


def test_exact_copies_are_equal_once_case_punctuation_and_spacing_are_normalised():
    texts = ["Hello, World!  Again.", "hello world again", "Hello World, again?", "Hello 2 worlds"]
    assert first_exact_copies(texts) == [0, 3]


def test_minhash_settings_state_their_threshold_and_s_curve():
    fineweb = MinHashSettings()
    assert fineweb.threshold == pytest.approx(0.719, abs=1e-3)
    assert fineweb.match_probability(0.8) == pytest.approx(0.924, abs=1e-3)  # datatrove's note
    assert fineweb.match_probability(0.3) < 1e-3
