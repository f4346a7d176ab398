"""Exact-match accuracy per task family, and its summary over replicate runs."""

import pandas as pd
import pytest

from selfalign.data.demo import (
    ANSWER_FORMATS,
    FAMILIES,
    generate_demo_records,
    generate_demo_test_set,
    generate_pretraining_records,
)
from selfalign.evaluate.accuracy import (
    accuracy_table,
    exact_match,
    family_accuracy,
    normalise,
    replicate_markdown,
    replicate_summary,
)


def test_normalisation_ignores_case_punctuation_articles_and_spacing():
    assert normalise("  The capital of Peru is   Lima. ") == "capital of peru is lima"
    assert exact_match("the Capital of peru is lima", "The capital of Peru is Lima.")
    assert exact_match("1. apple\n2. banana", "1 apple 2 banana")
    assert not exact_match("The capital of Peru is Quito.", "The capital of Peru is Lima.")
    assert not exact_match("8, 28, 54", "8, 28, 54, 87")  # a prefix is not a match


def test_accuracy_is_counted_per_family_with_all_last():
    answers = [
        {"category": "capital", "reference": "Lima.", "answer": "lima"},
        {"category": "capital", "reference": "Paris.", "answer": "Rome"},
        {"category": "antonym", "reference": "cold", "answer": "Cold!"},
    ]
    table = family_accuracy(answers).set_index("family")
    assert table.loc["capital", ["n", "correct"]].tolist() == [2, 1]
    assert table.loc["antonym", "accuracy"] == 1.0
    assert table.loc["all", ["n", "correct"]].tolist() == [3, 2]
    assert table.index[-1] == "all"


def test_records_without_a_family_count_in_all_and_a_missing_reference_is_named():
    table = family_accuracy([{"reference": "x y", "answer": "y x"}])
    assert table[["family", "n", "correct"]].values.tolist() == [["all", 1, 0]]
    with pytest.raises(ValueError, match=r"answers/rd_1\.jsonl, record 2: no 'reference'"):
        family_accuracy([{"reference": "x", "answer": "x"}, {"answer": "y"}], "answers/rd_1.jsonl")


def test_a_run_table_has_a_row_per_model_and_family():
    answers = [{"category": c, "reference": "x", "answer": "x"} for c in ("b", "a", "b")]
    table = accuracy_table({"rd_0": answers, "rd_1": answers[:2]}, {})
    assert table[["model", "family", "n"]].values.tolist() == [
        ["rd_0", "b", 2], ["rd_0", "a", 1], ["rd_0", "all", 3],
        ["rd_1", "b", 1], ["rd_1", "a", 1], ["rd_1", "all", 2],
    ]  # fmt: skip


def test_replicates_are_summarised_by_mean_spread_and_range():
    def run(accuracies):
        return pd.DataFrame(
            {"model": ["rd_0", "rd_1"], "family": ["all", "all"], "accuracy": accuracies}
        )

    tables = {"kc_s0": run([0.2, 0.6]), "kc_s1": run([0.4, 1.0]), "rand_s0": run([0.3, 0.5])}
    summary = replicate_summary(tables, {"k-center": ["kc_s0", "kc_s1"], "random": ["rand_s0"]})
    kc = summary[summary.group == "k-center"].set_index("model")
    assert kc.loc["rd_1", ["runs", "mean", "min", "max"]].tolist() == pytest.approx(
        [2, 0.8, 0.6, 1.0]
    )
    assert kc.loc["rd_1", "std"] == pytest.approx(0.2828, abs=1e-4)
    assert summary[summary.group == "random"]["std"].tolist() == [0.0, 0.0]
    markdown = replicate_markdown(summary)
    assert "| family | k-center rd_0 | k-center rd_1 | random rd_0 | random rd_1 |" in markdown
    assert "| all | 0.30 ± 0.14 | 0.80 ± 0.28 | 0.30 ± 0.00 | 0.50 ± 0.00 |" in markdown


def test_a_demo_test_set_per_family_is_balanced_and_held_out():
    pool = generate_demo_records(600, seed=0)
    questions = generate_demo_test_set(None, 1, pool, per_family=20)
    counts = pd.Series([q["category"] for q in questions]).value_counts()
    assert set(counts.index) == set(FAMILIES) and set(counts) == {20}
    in_pool = {(r["instruction"], r["input"]) for r in pool}
    assert not any((q["instruction"], q["input"]) in in_pool for q in questions)
    with pytest.raises(ValueError, match=r"only \d+ \w+ questions are not in the pool"):
        generate_demo_test_set(None, 1, pool, per_family=60)


def test_pretraining_text_gives_the_pool_answers_tersely_and_never_a_test_question():
    pool = generate_demo_records(600, seed=0)
    questions = generate_demo_test_set(None, 1, pool, per_family=20)
    corpus = generate_pretraining_records(4500, seed=0, exclude=questions)
    held_out = {(q["instruction"], q["input"]) for q in questions}
    assert not any((r["instruction"], r["input"]) in held_out for r in corpus)
    shares = pd.Series([r["category"] for r in corpus]).value_counts(normalize=True)
    assert set(shares.index) == set(FAMILIES) and shares.max() - shares.min() < 0.03
    terse = {(r["instruction"], r["input"]): r["output"] for r in corpus}
    shared = [r for r in pool if (r["instruction"], r["input"]) in terse]
    assert {r["category"] for r in shared} >= set(ANSWER_FORMATS)
    for r in shared:  # the pool's answer is the terse one in its family's format
        answer = terse[(r["instruction"], r["input"])]
        assert r["output"] == ANSWER_FORMATS.get(r["category"], "{}").format(answer)
