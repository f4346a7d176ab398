"""AlpacaEval files, and the real alpaca_eval judge against a loopback endpoint."""

import json
import math
import re

import pandas as pd
import pytest
from conftest import SHARED_DATA
from loopback_judge import LoopbackJudge

from selfalign.data.records import DataError
from selfalign.evaluate.alpaca_eval import (
    LC_GLM,
    AlpacaEvalError,
    judge_outputs,
    length_controlled_winrate,
    model_outputs,
    read_instructions,
    write_annotations,
    write_leaderboard,
    write_model_outputs,
)

# alpaca_eval 0.6.6 imports pkg_resources, hence the setuptools<81 pin
pytestmark = pytest.mark.filterwarnings("ignore:pkg_resources is deprecated:UserWarning")
BETTER = "[better]"  # the loopback judge prefers the answer that carries this mark
# Where the second answer starts, in each annotator's prompt.
SECOND = {
    "alpaca_eval_gpt4": '"model": "model_2"',
    "chatgpt": "## Output (b):",
    "weighted_alpaca_eval_gpt4_turbo": '"model_identifier": "M"',
}


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("LOOPBACK_JUDGE_KEY", "not-a-real-key")


def write(path, records, jsonl=False):
    text = "".join(json.dumps(r) + "\n" for r in records) if jsonl else json.dumps(records)
    path.write_text(text)
    return path


INSTRUCTIONS = [
    {"dataset": "vicuna", "instruction": "Name a colour.", "output": "Red.", "generator": "ref"},
    {"dataset": "koala", "instruction": "Count to three.", "output": "1 2 3", "generator": "ref"},
    {"dataset": "oasst", "instruction": "Say hello.", "output": "Hello!", "generator": "ref"},
]


@pytest.mark.parametrize("jsonl", [False, True])
def test_outputs_keep_order_and_dataset_and_name_the_generator(tmp_path, jsonl):
    instructions = read_instructions(write(tmp_path / "eval.json", INSTRUCTIONS, jsonl))
    assert instructions == [{k: r[k] for k in ("dataset", "instruction")} for r in INSTRUCTIONS]

    records = model_outputs(instructions, ["a", "b", "c"], "kc/rd_2")
    write_model_outputs(records, tmp_path / "out" / "outputs.json")
    written = json.loads((tmp_path / "out" / "outputs.json").read_text())
    assert [list(r) for r in written] == [["dataset", "instruction", "output", "generator"]] * 3
    assert [r["instruction"] for r in written] == [r["instruction"] for r in INSTRUCTIONS]
    assert [r["output"] for r in written] == ["a", "b", "c"]
    assert {r["generator"] for r in written} == {"kc/rd_2"}
    assert list((tmp_path / "out").iterdir()) == [tmp_path / "out" / "outputs.json"]


def test_records_without_dataset_and_bad_records(tmp_path):
    plain = write(tmp_path / "plain.jsonl", [{"instruction": "Hi?"}], jsonl=True)
    assert model_outputs(read_instructions(plain), [""], "m") == [
        {"instruction": "Hi?", "output": "", "generator": "m"}
    ]
    twice = write(tmp_path / "twice.json", [{"instruction": "Hi?"}, {"instruction": "Hi?"}])
    with pytest.raises(DataError, match=r"twice.json:1: record 1: duplicate instruction"):
        read_instructions(twice)
    empty = write(tmp_path / "empty.jsonl", [{"instruction": "A"}, {"instruction": " "}], True)
    with pytest.raises(DataError, match=r"empty.jsonl:2: record 1: field 'instruction'"):
        read_instructions(empty)


@pytest.mark.skipif(not (SHARED_DATA / "alpaca_eval").is_dir(), reason="no shared data")
def test_reads_the_805_alpaca_eval_instructions():
    instructions = read_instructions(
        SHARED_DATA / "alpaca_eval" / "text_davinci_003_model_outputs.json"
    )
    assert len(instructions) == 805
    assert {i["dataset"] for i in instructions} == {
        "helpful_base",
        "koala",
        "oasst",
        "selfinstruct",
        "vicuna",
    }


def prefer_the_marked_answer(annotator):
    """A judge reply naming the answer with BETTER in it, in the annotator's format."""

    def reply(prompt):
        second_wins = prompt.index(BETTER) > prompt.rindex(SECOND[annotator])
        if annotator == "chatgpt":
            return "Output (b)" if second_wins else "Output (a)"
        if annotator == "weighted_alpaca_eval_gpt4_turbo":
            return "M" if second_wins else "m"
        first, second = (2, 1) if second_wins else (1, 2)
        return str([{"model": "model_1", "rank": first}, {"model": "model_2", "rank": second}])

    return reply


def judge_settings(url):
    return {
        "model": "judge-model",
        "base_url": url,
        "api_key_env": "LOOPBACK_JUDGE_KEY",
        "max_concurrency": 2,
        "max_retries": 2,
        "timeout": 10,
    }


def pairs(tmp_path, model_wins):
    """Model and reference outputs; the model's answer is marked better where it should win."""
    model, reference = [], []
    for i, wins in enumerate(model_wins):
        instruction = f"Question number {i}?"
        mine, theirs = f"model answer {i}", f"reference answer {i}"
        if wins:
            mine += BETTER
        else:
            theirs += BETTER
        model.append({"instruction": instruction, "output": mine, "generator": "kc/rd_1"})
        reference.append({"instruction": instruction, "output": theirs, "generator": "ref"})
    return write(tmp_path / "model.json", model), write(tmp_path / "ref.json", reference[::-1])


@pytest.mark.parametrize("annotator", ["alpaca_eval_gpt4", "chatgpt"])
def test_win_rate_from_the_real_alpaca_eval_against_a_loopback_judge(tmp_path, annotator):
    model, reference = pairs(tmp_path, [True, True, False, True])
    with LoopbackJudge(faults=False, reply=prefer_the_marked_answer(annotator)) as server:
        summary, annotations = judge_outputs(
            model, reference, judge_settings(server.url), tmp_path / "work", annotator
        )
        assert len(server.served) == 4 and set(server.served.values()) == {1}
        for i in range(4):
            assert sum(f"Question number {i}?" in p for p in server.served) == 1

        again, _ = judge_outputs(
            model, reference, judge_settings(server.url), tmp_path / "work", annotator, False
        )
        assert sum(server.requests.values()) == 4  # every verdict came from the cache

    assert summary["win_rate"] == pytest.approx(75.0)
    assert (summary["n_wins"], summary["n_wins_base"], summary["n_draws"]) == (3, 1, 0)
    assert summary["n_total"] == 4 and summary["generator"] == "kc/rd_1"
    assert summary["standard_error"] == pytest.approx(50 / 4**0.5)  # sem of 1, 1, 0, 1
    assert summary["lc_glm"] == LC_GLM and math.isnan(summary["lc_win_rate"])  # 4 pairs: too few
    assert again == {**summary, "lc_win_rate": None, "lc_standard_error": None, "lc_glm": None}
    assert {a["instruction"]: a["preference"] for a in annotations} == {
        f"Question number {i}?": p for i, p in enumerate([2, 2, 1, 2])
    }

    write_leaderboard(summary, tmp_path / "leaderboard.tsv")
    table = pd.read_table(tmp_path / "leaderboard.tsv")
    assert table.loc[0, "win_rate"] == pytest.approx(75.0) and len(table) == 1
    write_annotations(annotations, tmp_path / "annotations.json")
    assert len(json.loads((tmp_path / "annotations.json").read_text())) == 4


def test_alpaca_eval_2s_annotator_weighs_each_verdict_by_the_judges_log_probabilities(tmp_path):
    """weighted_alpaca_eval_gpt4_turbo asks for one token with its log-probabilities; a
    judge 90% sure of the marked answer gives each pair 0.9 of a win to that answer."""
    annotator = "weighted_alpaca_eval_gpt4_turbo"
    choose = prefer_the_marked_answer(annotator)

    def top_logprobs(prompt):
        chosen = choose(prompt)
        return {chosen: math.log(0.9), chosen.swapcase(): math.log(0.1)}

    model, reference = pairs(tmp_path, [True, True, False, True])
    with LoopbackJudge(faults=False, reply=choose, top_logprobs=top_logprobs) as server:
        summary, annotations = judge_outputs(
            model, reference, judge_settings(server.url), tmp_path / "work", annotator, False
        )
        assert len(server.served) == 4
    assert summary["win_rate"] == pytest.approx(100 * (0.9 + 0.9 + 0.1 + 0.9) / 4)
    assert (summary["n_wins"], summary["n_wins_base"]) == (3, 1)
    preferences = {a["instruction"]: a["preference"] for a in annotations}
    assert preferences == pytest.approx({f"Question number {i}?": 1 + p for i, p in
                                         enumerate([0.9, 0.9, 0.1, 0.9])})  # fmt: skip


@pytest.mark.skipif(not (SHARED_DATA / "alpaca_eval").is_dir(), reason="no shared data")
def test_length_controlled_win_rate_is_alpaca_evals_own_offline(tmp_path, monkeypatch):
    """The Humback paper's released outputs against text-davinci-003's, judged by a
    loopback judge that mostly prefers the longer answer."""
    import alpaca_eval.metrics.glm_winrate as glm

    folder = SHARED_DATA / "alpaca_eval"
    humpback = json.loads((folder / "humpback-llama2-70b_model_outputs.json").read_text())[:60]
    davinci = {r["instruction"]: r for r in json.loads(
        (folder / "text_davinci_003_model_outputs.json").read_text())}  # fmt: skip
    model, reference = [], []
    for i, ours in enumerate(humpback):
        theirs = davinci[ours["instruction"]]
        longer = len(ours["output"]) > len(theirs["output"])
        mine, other = ours["output"], theirs["output"]
        if longer != (i % 5 == 0):  # the longer answer wins four times in five
            mine += BETTER
        else:
            other += BETTER
        model.append({**ours, "output": mine, "generator": "humpback"})
        reference.append({**theirs, "output": other})
    model_path, reference_path = (
        write(tmp_path / "model.json", model),
        write(tmp_path / "r.json", reference),
    )

    def no_hub(*args, **kwargs):
        raise AssertionError("the length-controlled rate must not reach the hub")

    monkeypatch.setattr(glm, "hf_hub_download", no_hub)
    with LoopbackJudge(faults=False, reply=prefer_the_marked_answer("alpaca_eval_gpt4")) as server:
        summary, annotations = judge_outputs(
            model_path, reference_path, judge_settings(server.url), tmp_path / "work"
        )
    assert summary["lc_glm"] == LC_GLM and summary["n_total"] == 60

    # alpaca_eval's own computation of the same GLM; it fetches df_gamed.csv for the
    # instruction difficulties, which this formula does not use: a stand-in does
    gamed = tmp_path / "df_gamed.csv"
    gamed.write_text("index,instruction_difficulty,model\n" + "".join(
        f"{i},0.0,stand-in\n" for i in range(60)))  # fmt: skip
    monkeypatch.setattr(glm, "hf_hub_download", lambda *args, **kwargs: str(gamed))
    theirs = glm.get_length_controlled_winrate(
        pd.DataFrame(annotations), glm_name=LC_GLM, save_weights_dir=None
    )
    assert summary["lc_win_rate"] == pytest.approx(theirs["length_controlled_winrate"])
    assert summary["lc_standard_error"] == pytest.approx(theirs["lc_standard_error"])
    assert summary["win_rate"] == pytest.approx(theirs["win_rate"])
    assert abs(summary["lc_win_rate"] - summary["win_rate"]) > 1  # length is controlled for
    assert math.isnan(length_controlled_winrate(annotations[:10])["lc_win_rate"])  # too few


def test_only_unreadable_verdicts_are_asked_again(tmp_path):
    model, reference = pairs(tmp_path, [True, False, True])
    judge = prefer_the_marked_answer("alpaca_eval_gpt4")
    broken = {"Question number 1?"}

    def reply(prompt):
        return "no idea" if any(q in prompt for q in broken) else judge(prompt)

    with LoopbackJudge(faults=False, reply=reply) as server:
        with pytest.raises(AlpacaEvalError, match="only 2 of 3 pairs got a verdict"):
            judge_outputs(model, reference, judge_settings(server.url), tmp_path / "work")
        broken.clear()
        summary, _ = judge_outputs(model, reference, judge_settings(server.url), tmp_path / "work")
    assert summary["win_rate"] == pytest.approx(200 / 3)
    assert sorted(server.requests.values()) == [1, 1, 2]
    assert [n for p, n in server.requests.items() if "Question number 1?" in p] == [2]


def test_errors_say_what_to_do(tmp_path, monkeypatch):
    model, reference = pairs(tmp_path, [True, False])
    judge = judge_settings("http://127.0.0.1:9/v1")
    short = write(tmp_path / "short.json", json.loads(reference.read_text())[:1])
    with pytest.raises(AlpacaEvalError, match=r"1 of 2 instructions .* have no output in"):
        judge_outputs(model, short, judge, tmp_path / "work")
    with pytest.raises(AlpacaEvalError, match="has no annotator 'nope'"):
        judge_outputs(model, reference, judge, tmp_path / "work", "nope")
    with pytest.raises(AlpacaEvalError, match="not an OpenAI-compatible endpoint"):
        judge_outputs(model, reference, judge, tmp_path / "work", "claude")
    monkeypatch.delenv("LOOPBACK_JUDGE_KEY")
    with pytest.raises(AlpacaEvalError, match=re.escape("export LOOPBACK_JUDGE_KEY=")):
        judge_outputs(model, reference, judge, tmp_path / "work")


def test_judge_calls_survive_429s_500s_and_timeouts(tmp_path):
    model, reference = pairs(tmp_path, [True, False, True, True, False, True])
    judge = {**judge_settings(None), "timeout": 0.5, "max_retries": 3}
    reply = prefer_the_marked_answer("alpaca_eval_gpt4")
    with LoopbackJudge(reply=reply) as server:
        judge["base_url"] = server.url
        summary, _ = judge_outputs(model, reference, judge, tmp_path / "work")
    assert {"429", "500", "slow"} & set(server.faults)
    assert len(server.served) == 6 and set(server.served.values()) == {1}
    assert summary["win_rate"] == pytest.approx(400 / 6) and summary["n_total"] == 6


@pytest.mark.workflow
def test_workflow_writes_outputs_and_scores_them_with_the_configured_judge(tmp_path):
    from conftest import run_snakemake, tiny_config, write_config

    questions = [f"Question number {i}?" for i in range(3)]
    write(tmp_path / "instructions.json", [{"instruction": q} for q in questions])
    reference = [{"instruction": q, "output": f"reference answer {i}", "generator": "ref"}
                 for i, q in enumerate(questions)]  # fmt: skip
    write(tmp_path / "reference.json", reference)

    def reference_loses(prompt):  # the model's answer wins whichever side it is shown on
        model_first = prompt.rindex("reference answer") > prompt.rindex(SECOND["alpaca_eval_gpt4"])
        first, second = (1, 2) if model_first else (2, 1)
        return str([{"model": "model_1", "rank": first}, {"model": "model_2", "rank": second}])

    with LoopbackJudge(faults=False, reply=reference_loses) as server:
        config = tiny_config(diverse_evol={"n_round": 0})
        config["runs"] = {"kc": config["runs"]["kc"]}
        config["evaluation"] = {
            "testsets": config["evaluation"]["testsets"],
            "generation": {"max_new_tokens": 4},
            "base": False,
            "alpaca_eval": {
                "instructions": str(tmp_path / "instructions.json"),
                "reference": str(tmp_path / "reference.json"),
                "judge": judge_settings(server.url),
            },
        }
        write_config(tmp_path, config)
        run_snakemake(tmp_path, "results/kc/models.tsv")
        assert len(server.served) == 3
    outputs = json.loads((tmp_path / "results/kc/alpaca_eval/rd_0_outputs.json").read_text())
    assert [o["instruction"] for o in outputs] == questions
    table = pd.read_table(tmp_path / "results/kc/models.tsv")
    assert table["model"].tolist() == ["rd_0"]
    assert table.loc[0, "AlpacaEval win rate"] == pytest.approx(100.0)
