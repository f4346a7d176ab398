"""Test sets, generation backends, the judge's parsing and summaries, Vendi scores."""

import hashlib
import json
import sys
import types
import warnings
from dataclasses import replace

import numpy as np
import pytest
from conftest import SHARED_DATA

from selfalign.data.records import DataError
from selfalign.data.testsets import load_testset
from selfalign.diverse_evol.diversity import vendi_score
from selfalign.evaluate.judging import JUDGE_TEMPLATE, Comparison, parse_scores
from selfalign.evaluate.judging.reference_judge import ReferenceJudge
from selfalign.evaluate.judgments import describe_path, judge_pairs, summarize, summary_table
from selfalign.generate import Sampling, get_backend
from selfalign.io import write_jsonl
from selfalign.models.encoding import prompt_ids
from selfalign.models.loading import load_tokenizer

DIVERSEEVOL = SHARED_DATA / "diverseevol"
needs_release = pytest.mark.skipif(
    not DIVERSEEVOL.is_dir(), reason="../shared/data/diverseevol is not present"
)


@needs_release
@pytest.mark.parametrize(
    ("name", "count", "first_id", "start"),
    [
        ("vicuna_test_set.jsonl", 80, "1", "How can I improve my time management"),
        ("koala_test_set.jsonl", 180, "koala_0", "Can you list the top 20 films"),
        ("wizardlm_test_set.jsonl", 218, "1", "If a car travels 120 miles"),
    ],
)
def test_reads_the_three_diverseevol_test_sets(name, count, first_id, start):
    questions = load_testset(DIVERSEEVOL / "test_data" / name)
    assert len(questions) == count
    assert questions[0].id == first_id and questions[0].instruction.startswith(start)
    assert (
        "question_id" in questions[0].record
        or "id" in questions[0].record
        or "idx" in (questions[0].record)
    )


def test_plain_test_set_and_its_errors(tmp_path):
    path = tmp_path / "plain.jsonl"
    path.write_text('{"id": "a", "instruction": "Hi?", "reference": "Hello."}\n')
    [question] = load_testset(path)
    assert (question.id, question.instruction, question.reference) == ("a", "Hi?", "Hello.")
    path.write_text('{"id": "a", "instruction": "Hi?"}\n{"id": "b", "question": "Hm?"}\n')
    with pytest.raises(DataError, match=r"plain.jsonl:2: record 1: no question fields"):
        load_testset(path)


def test_judge_template_is_diverseevols_verbatim():
    prompt = Comparison("Q?", "first", "second").prompt
    assert prompt.startswith("[Question]\nQ?\n\n[The Start of Assistant 1's Answer]\nfirst\n")
    assert (
        "[The Start of Assistant 2's Answer]\nsecond\n[The End of Assistant 2's Answer]" in prompt
    )
    assert JUDGE_TEMPLATE.endswith("does not affect your judgment.\n")
    assert "Each assistant receives an overall score on a scale of 1 to 10" in JUDGE_TEMPLATE
    # sha256 of the DiverseEvol release's GPT4_JUDGE_TEMPLATE (OFA-Sys/DiverseEvol)
    # formatted with these three texts: the prompt must be the same bytes.
    release = "6299302713562a76f4b41e522aa103ac867b6452270cd0a45f6a8f14f7e63256"
    prompt = Comparison("Why is the sky blue?", "Rayleigh scattering.", "Because.").prompt
    assert hashlib.sha256(prompt.encode()).hexdigest() == release


@pytest.mark.parametrize(
    ("reply", "scores"),
    [
        ("8 7\nBecause...", (8.0, 7.0)),
        ("\n\n  9.5, 3 \nwhy", (9.5, 3.0)),
        ("0 10\nAssistant 1 gave no answer.", (0.0, 10.0)),
        ("Assistant 1: 8\nAssistant 2: 7", None),
        ("8 7 6\n", None),
        ("11 3\n", None),
        ("", None),
        (None, None),
    ],
)
def test_scores_come_from_the_first_non_empty_line(reply, scores):
    assert parse_scores(reply) == scores


def judgment(first: str, second: str) -> dict:
    return {"response_QUERY0": first, "response_QUERY1": second}


def test_summary_definitions():
    records = [
        judgment("8 6", "6 8"),  # model wins both orders: Win
        judgment("8 6", "8 6"),  # model wins as Assistant 1, loses as 2: Tie
        judgment("5 9", "oops"),  # one order parsed, a loss: Lose
        judgment("oops", "oops"),  # nothing parsed: not counted in n
    ]
    summary = summarize(records)
    assert (summary["n"], summary["win"], summary["tie"], summary["lose"]) == (3, 1, 1, 1)
    assert summary["WS"] == pytest.approx((1 - 1) / 3 + 1)
    assert summary["RS"] == pytest.approx((8 + 8 + 8 + 6 + 5) / (6 + 6 + 6 + 8 + 9))
    assert summary["unparsed"] == 3


def test_both_orders_are_judged_and_stored_as_model_then_opponent():
    model = [
        {
            "question_id": "q1",
            "instruction": "Say 'blue sky'.",
            "input": "",
            "reference": "blue sky",
            "answer": "blue sky",
        }
    ]
    opponent = [
        {
            "question_id": "q1",
            "instruction": "Say 'blue sky'.",
            "input": "",
            "reference": "blue sky",
            "answer": "red",
        }
    ]
    [record] = judge_pairs(model, opponent, ReferenceJudge(), "kc/rd_1", "rd0")
    assert record["assistant1_QUERY0"] == "kc/rd_1" and record["assistant2_QUERY1"] == "kc/rd_1"
    assert record["eval_QUERY0"] == [10.0, 1.0] and record["eval_QUERY1"] == [10.0, 1.0]
    assert record["response_QUERY1"].startswith("1 10\n")
    with pytest.raises(ValueError, match="has no answer to questions"):
        judge_pairs(model, [], ReferenceJudge(), "kc/rd_1", "rd0")


@needs_release
def test_released_judgments_reparse_to_the_stored_scores():
    files = sorted((DIVERSEEVOL / "judge_reference").rglob("rd_*_vs_*.jsonl"))
    assert len(files) >= 23
    for path in files:
        for line in path.read_text().splitlines():
            record = json.loads(line)
            first = parse_scores(record["response_QUERY0"])
            second = parse_scores(record["response_QUERY1"])
            assert list(first) == record["eval_QUERY0"]
            assert [second[1], second[0]] == record["eval_QUERY1"]  # stored as [model, ChatGPT]


@needs_release
def test_release_summary_table():
    root = DIVERSEEVOL / "judge_reference" / "koala_test"
    table = summary_table(sorted(root.rglob("rd_*_vs_*.jsonl")))
    assert set(table["testset"]) == {"koala_test"} and set(table["opponent"]) == {"chat"}
    assert (table["unparsed"] == 0).all() and (table["n"] == 180).all()
    row = table[(table["run"] == "kc_dolly_initRAND100") & (table["round"] == 10)].iloc[0]
    assert (row["win"], row["tie"], row["lose"]) == (6, 9, 165)


def test_judgment_file_places_are_read_for_both_layouts(tmp_path):
    ours = describe_path(tmp_path / "results/kc/judge/vicuna/rd_3_vs_chatgpt.jsonl")
    theirs = describe_path(tmp_path / "koala_test/kc_dolly_initRAND100/rd_10_vs_chat.jsonl")
    humback = describe_path(tmp_path / "results/hb/judge/vicuna/M2_vs_rd0.jsonl")
    assert ours == {
        "testset": "vicuna",
        "run": "kc",
        "model": "rd_3",
        "round": 3,
        "opponent": "chatgpt",
    }
    assert theirs == {
        "testset": "koala_test",
        "run": "kc_dolly_initRAND100",
        "model": "rd_10",
        "round": 10,
        "opponent": "chat",
    }
    assert (humback["model"], humback["round"], humback["opponent"]) == ("M2", 2, "rd0")


def test_unparsed_verdicts_are_noted_in_the_table_and_ringed_in_the_plot(tmp_path):
    from selfalign.evaluate.reporting import plot_judgments

    folder = tmp_path / "results/kc/judge/qs"
    folder.mkdir(parents=True)
    replies = {0: ("8 6", "6 8"), 1: ("8 6", "oops"), 2: ("oops", "oops")}
    for round_, (first, second) in replies.items():
        write_jsonl([judgment(first, second)] * 2, folder / f"rd_{round_}_vs_rd0.jsonl")
    table = summary_table(sorted(folder.glob("*.jsonl")))
    assert table["note"].tolist() == [
        "",
        "2 unparsed replies left out",
        "no reply parsed (4 unparsed): WS and RS undefined",
    ]
    plot_judgments(table, str(tmp_path / "judge.png"))  # NaN rows drawn, and named
    assert (tmp_path / "judge.png").stat().st_size > 10_000


@pytest.fixture(scope="module")
def lively_model_dir(tiny_model_dir, tmp_path_factory):
    """The tiny model with large random weights, so its answers depend on the prompt."""
    import torch

    from selfalign.models.loading import load_causal_lm

    model = load_causal_lm(tiny_model_dir)
    torch.manual_seed(0)
    with torch.no_grad():
        for parameter in model.parameters():
            if parameter.dim() > 1:
                parameter.normal_(0, 0.3)
    path = tmp_path_factory.mktemp("lively")
    model.save_pretrained(path)
    load_tokenizer(tiny_model_dir).save_pretrained(path)
    return str(path)


def test_transformers_backend_answers_in_order_and_batching_changes_nothing(
    lively_model_dir, demo_records
):
    generate = get_backend("transformers")
    records = demo_records[:10]
    sampling = Sampling(max_new_tokens=6, temperature=0.0)
    batched = generate(lively_model_dir, records, sampling, batch_size=4, dtype="float32")
    alone = [
        generate(lively_model_dir, [r], sampling, batch_size=1, dtype="float32")[0] for r in records
    ]
    assert len(set(alone)) > 5, "answers that ignore the prompt would prove nothing"
    assert batched == alone


def test_sampling_keeps_to_top_k(lively_model_dir, demo_records):
    generate = get_backend("transformers")
    records = demo_records[:10]
    greedy = generate(lively_model_dir, records, Sampling(max_new_tokens=6), batch_size=4,
                      dtype="float32")  # fmt: skip
    hot = Sampling(max_new_tokens=6, temperature=5.0, seed=3)
    only_top_1 = generate(lively_model_dir, records, replace(hot, top_k=1), batch_size=4,
                          dtype="float32")  # fmt: skip
    assert only_top_1 == greedy  # one candidate token: sampling is greedy
    any_token = generate(lively_model_dir, records, hot, batch_size=4, dtype="float32")
    assert any_token != greedy  # so the equality above is the cut's doing


def test_vllm_backend_up_to_the_call(tiny_model_dir, demo_records, monkeypatch):
    """Tensor parallelism needs GPUs: a test double of the vllm module records what it is
    asked on four (tests/test_vllm.py runs the real engine on the CPU)."""
    seen = {}
    tokenizer = load_tokenizer(tiny_model_dir)
    ids = [tokenizer.encode(f" answer {i}", add_special_tokens=False) for i in range(3)]

    class FakeLLM:
        def __init__(self, **kwargs):
            seen["llm"] = kwargs

        def generate(self, prompts, params):
            seen["prompts"], seen["params"] = prompts, params
            return [
                types.SimpleNamespace(outputs=[types.SimpleNamespace(token_ids=ids[i])])
                for i in range(len(prompts))
            ]

    fake = types.ModuleType("vllm")
    fake.LLM, fake.SamplingParams = FakeLLM, lambda **kwargs: kwargs
    fake.platforms = types.ModuleType("vllm.platforms")
    fake.platforms.current_platform = types.SimpleNamespace(is_cpu=lambda: False)
    monkeypatch.setitem(sys.modules, "vllm", fake)
    monkeypatch.setitem(sys.modules, "vllm.platforms", fake.platforms)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1,2,3")
    records = demo_records[:3]
    sampling = Sampling(max_new_tokens=32, temperature=0.7, top_p=0.9, top_k=50, seed=5)
    answers = get_backend("vllm")(
        str(tiny_model_dir), records, sampling, batch_size=8, dtype="bfloat16"
    )
    assert answers == ["answer 0", "answer 1", "answer 2"]
    assert seen["llm"]["tensor_parallel_size"] == 4 and seen["llm"]["dtype"] == "bfloat16"
    assert seen["params"] == {
        "temperature": 0.7, "top_p": 0.9, "top_k": 50, "max_tokens": 32, "seed": 5,
        "detokenize": False,
    }  # fmt: skip
    assert seen["prompts"] == [{"prompt_token_ids": prompt_ids(tokenizer, r)} for r in records]


@pytest.mark.parametrize(("n", "d"), [(60, 8), (8, 60), (300, 32)])
def test_vendi_matches_the_vendi_score_package(n, d):
    from vendi_score import vendi

    rng = np.random.default_rng(n)
    x = rng.normal(size=(n, d)) + rng.normal(size=d) * 2
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # vendi-score 0.0.3 warns about a SciPy module
        expected = vendi.score_K(unit @ unit.T, q=1)
    assert vendi_score(x) == pytest.approx(expected, rel=1e-6)
    assert vendi_score(np.repeat(x[:1], 5, axis=0)) == pytest.approx(1.0)
