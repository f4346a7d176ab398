"""The real lm-evaluation-harness on the project's tiny task, offline."""

import json

import pandas as pd
import pytest
from conftest import REPO

from selfalign.evaluate.lm_benchmarks import (
    BenchmarkError,
    results_table,
    run_benchmarks,
    write_table,
)

TASKS = REPO / "workflow" / "lm_eval_tasks"
TINY_TASK = TASKS / "selfalign_tiny" / "selfalign_tiny.jsonl"


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.chdir(tmp_path)  # the task's data must not depend on the working directory


def expected_scores(model_dir, docs) -> tuple[float, float]:
    """acc and acc_norm recomputed with transformers, the way lm-eval scores choices.

    The context alone and context + " " + choice are tokenised; the choice's
    tokens are what the second adds, and its log-likelihood is their sum.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
    acc = acc_norm = 0
    for doc in docs:
        context = f"Question: {doc['question']}\nAnswer:"
        scores = []
        for choice in doc["choices"]:
            context_ids = tokenizer.encode(context)
            ids = context_ids + tokenizer.encode(f"{context} {choice}")[len(context_ids) :]
            with torch.no_grad():
                logprobs = model(torch.tensor([ids])).logits[0].log_softmax(-1)
            positions = range(len(context_ids), len(ids))
            scores.append(sum(logprobs[i - 1, ids[i]].item() for i in positions))
        normed = [s / len(c) for s, c in zip(scores, doc["choices"], strict=True)]
        acc += scores.index(max(scores)) == doc["answer"]
        acc_norm += normed.index(max(normed)) == doc["answer"]
    return acc / len(docs), acc_norm / len(docs)


@pytest.mark.slow
def test_tiny_task_scores_every_item_as_recomputed(tiny_model_dir, tmp_path):
    docs = [json.loads(line) for line in TINY_TASK.read_text().splitlines()]
    results = run_benchmarks(tiny_model_dir, ["selfalign_tiny"], include_path=TASKS)
    write_table(results_table(results), tmp_path / "out" / "lm_eval.tsv")

    table = pd.read_table(tmp_path / "out" / "lm_eval.tsv")
    assert list(table.columns) == ["task", "metric", "value", "stderr", "n"]
    assert list(table["task"]) == ["selfalign_tiny"] * 2
    assert list(table["metric"]) == ["acc", "acc_norm"]
    assert list(table["n"]) == [len(docs)] * 2
    assert table["value"].between(0, 1).all() and table["stderr"].notna().all()
    acc, acc_norm = expected_scores(tiny_model_dir, docs)
    assert table.set_index("metric")["value"].to_dict() == pytest.approx(
        {"acc": acc, "acc_norm": acc_norm}
    )
    assert list((tmp_path / "out").iterdir()) == [tmp_path / "out" / "lm_eval.tsv"]


@pytest.mark.slow
def test_unknown_task_names_the_task_and_the_include_path(tiny_model_dir):
    with pytest.raises(BenchmarkError, match=r"\['no_such_task'\].*" + str(TASKS)):
        run_benchmarks(tiny_model_dir, ["selfalign_tiny", "no_such_task"], include_path=TASKS)
    with pytest.raises(BenchmarkError, match="is not a folder"):
        run_benchmarks(tiny_model_dir, ["selfalign_tiny"], include_path=TASKS / "missing")
