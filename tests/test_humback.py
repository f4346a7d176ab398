"""Humback's parts: seed and web-text readers, filters, tags, prompts, scores, shards."""

import json
import re

import pytest

from selfalign.config import ConfigError, check_humback, humback_training, rename_deprecated_keys
from selfalign.data.records import DataError
from selfalign.humback import (
    AUGMENTED_TAG,
    BACKWARD_INSTRUCTION,
    SEED_TAG,
    backward_record,
    forward_record,
)
from selfalign.humback.curation import (
    agreement,
    curate,
    curated,
    curation_prompt,
    parse_curation_score,
    proxy_curation_reply,
    scored_pairs,
    with_model_scores,
)
from selfalign.humback.dedup import MinHashSettings
from selfalign.humback.demo import generate_web_text
from selfalign.humback.seed import load_oasst_seed, load_pairs
from selfalign.humback.shards import merge, shard
from selfalign.humback.unlabeled import read_web_text, select_unlabeled
from selfalign.models.prompts import alpaca_prompt

LONG_Q = "How do I keep my sourdough starter alive through a long holiday?"
LONG_A = "Feed it, refrigerate it, and feed it again when you return; it will recover in a day."


def message(role, text, *, lang="en", rank=None, quality=0.5, replies=(), deleted=False):
    return {
        "role": role,
        "text": text,
        "lang": lang,
        "rank": rank,
        "deleted": deleted,
        "labels": {"quality": {"value": quality, "count": 3}},
        "replies": list(replies),
    }


def tree(root):
    return {"message_tree_id": "t", "prompt": root}


def test_oasst_keeps_first_turns_only_best_first(tmp_path):
    later_turn = message(
        "prompter",
        "And what if the starter smells of acetone already?",
        replies=[
            message("assistant", "Then feed it twice a day for a while.", rank=0, quality=1.0)
        ],
    )
    trees = [
        # a good first turn, with a later turn and a worse reply that must not count
        tree(
            message(
                "prompter",
                LONG_Q,
                quality=0.4,
                replies=[
                    message("assistant", LONG_A, rank=0, quality=0.6, replies=[later_turn]),
                    message(
                        "assistant",
                        "Just buy a new one at the shop tomorrow morning.",
                        rank=1,
                        quality=0.9,
                    ),
                ],
            )
        ),
        # a better first turn
        tree(
            message(
                "prompter",
                "Explain in simple words why the sky looks blue at noon.",
                quality=0.9,
                replies=[
                    message(
                        "assistant",
                        "Air scatters blue light more than red light, so blue reaches you from "
                        "every direction.",
                        rank=0,
                        quality=0.9,
                    )
                ],
            )
        ),
        tree(
            message(
                "prompter",
                "Wie backe ich ein gutes Brot zu Hause im Ofen?",
                lang="de",
                replies=[
                    message(
                        "assistant", "Mit Geduld und einem heissen Ofen, immer.", rank=0, lang="de"
                    )
                ],
            )
        ),
        tree(message("prompter", "Too short.", replies=[message("assistant", LONG_A, rank=0)])),
        # an assistant message at the root: no prompter -> assistant pair
        tree(message("assistant", LONG_A, rank=0, replies=[message("prompter", LONG_Q)])),
        tree(
            message(
                "prompter", LONG_Q, replies=[message("assistant", LONG_A, rank=0, deleted=True)]
            )
        ),
    ]
    path = tmp_path / "oasst.trees.jsonl"
    path.write_text("".join(json.dumps(t) + "\n" for t in trees))
    pairs = load_oasst_seed(path, seed_size=10)
    assert [p["instruction"][:7] for p in pairs] == ["Explain", "How do "]
    assert pairs[1]["response"] == LONG_A
    assert pairs[0]["quality"] == pytest.approx(1.8)
    assert len(load_oasst_seed(path, seed_size=1)) == 1


def release_seed_pairs(trees, seed_size):
    """The unofficial release's seed walk (data/seed/convert.py: load_tree_data with its
    defaults, then the sort and cut of its __main__), as it reads the trees."""
    pairs = []

    def _traverse(ins):
        for reply in ins["replies"]:
            if ins.get("lang") == "en" and reply.get("lang") == "en" and reply.get("rank") == 0:
                inst_qlt = ins["labels"].get("quality", {"value": 0.0})["value"]
                resp_qlt = reply["labels"].get("quality", {"value": 0.0})["value"]
                long = len(ins["text"].split()) > 5 and len(reply["text"].split()) > 5
                if inst_qlt > 0.6 and resp_qlt > 0.6 and long:
                    pairs.append((ins["text"], reply["text"], inst_qlt + resp_qlt))
        for reply in ins["replies"]:
            _traverse(reply)

    for item in trees:
        _traverse(item["prompt"])
    pairs.sort(key=lambda pair: pair[2], reverse=True)
    return [(instruction, response) for instruction, response, _ in pairs[:seed_size]]


def test_the_all_depths_walk_with_a_quality_cut_is_the_releases(tmp_path):
    reply_to_reply = message(
        "prompter", "Could you say that again in fewer words, please?", rank=0, quality=0.9
    )
    deep = message(
        "prompter",
        "And what if the starter smells of acetone already, after a week?",
        quality=0.8,
        replies=[
            message(
                "assistant",
                "Then feed it twice a day for a while, and keep it warm.",
                rank=0,
                quality=0.7,
            ),
            message(
                "assistant",
                "It is probably dead now, so start again from flour.",
                rank=1,
                quality=0.9,
            ),
        ],
    )
    trees = [
        tree(
            message(
                "prompter",
                LONG_Q,
                quality=0.7,
                replies=[
                    message(
                        "assistant", LONG_A, rank=0, quality=0.9, replies=[deep, reply_to_reply]
                    )
                ],
            )
        ),
        tree(
            message(
                "prompter",
                LONG_Q,
                quality=0.5,
                replies=[message("assistant", LONG_A, rank=0, quality=1.0)],
            )
        ),
        tree(message("prompter", "Wie backe ich ein gutes Brot zu Hause?", lang="de", quality=0.9)),
    ]
    path = tmp_path / "oasst.trees.jsonl"
    path.write_text("".join(json.dumps(t) + "\n" for t in trees))
    for seed_size in (10, 2):
        ours = load_oasst_seed(path, seed_size, walk="all_depths", min_quality=0.6)
        release = release_seed_pairs(trees, seed_size)
        assert [(p["instruction"], p["response"]) for p in ours] == release
    assert len(release_seed_pairs(trees, 10)) == 3  # a later turn, and an assistant's message
    assert len(load_oasst_seed(path, 10)) == 2  # first turns only, no cut (the default)


def test_plain_seed_pairs_name_the_missing_field(tmp_path):
    path = tmp_path / "seed.jsonl"
    path.write_text('{"instruction": "a", "response": "b"}\n{"instruction": "c"}\n')
    with pytest.raises(DataError, match=r"seed.jsonl:2: record 1: field 'response'"):
        load_pairs(path)


def test_unlabeled_filters_length_duplicates_and_near_duplicates(tmp_path):
    page = "A long and self-contained explanation of how tides follow the moon. " * 12
    texts = [
        page,
        page,
        page.replace("moon.", "moon!", 1),  # the same text once normalised
        page.replace("moon.", "sun.", 2),  # a near copy
        "too short",
        "x" * 5000,
        " ".join(f"An unrelated page about baking bread number {i}." for i in range(20)),
    ]

    def select(texts, size, seed, work="work"):
        return select_unlabeled(
            texts,
            min_chars=600,
            max_chars=3000,
            minhash=MinHashSettings(),
            size=size,
            seed=seed,
            workdir=tmp_path / work,
        )

    records, counts = select(texts, size=10, seed=0)
    assert counts == {
        "read": 7,
        "outside_length_range": 2,
        "exact_duplicates": 2,
        "near_duplicates": 1,
        "sampled": 2,
    }
    assert [r["text"][:6] for r in records] == ["A long", "An unr"]
    assert select(texts * 3, size=1, seed=4, work="a") == select(
        texts * 3, size=1, seed=4, work="b"
    )
    with pytest.raises(DataError, match="no unlabeled text has 600 to 3000 characters"):
        select(["too short"], size=1, seed=0)
    empty = tmp_path / "web.jsonl"
    empty.write_text("")
    with pytest.raises(DataError, match="the unlabeled pool is empty"):
        read_web_text(empty)


def release_is_clean_text(text):
    """The unofficial release's web-text filter (data/unlabelled/falcon_refinedweb.py)."""
    if len(text) < 1000 or len(text) > 2200:
        return False
    return not any(len(seg) < 5 for seg in text.split("\n"))


def test_the_release_web_text_filter_keeps_what_the_release_keeps(tmp_path):
    line = "A line of ordinary web text about bread and ovens. "
    texts = [
        line * 30,  # 1,560 characters in one line
        (line * 5 + "\n") * 5,  # a trailing newline: an empty last line
        (line * 5 + "\n") * 4 + line * 5,
        (line * 5 + "\nOk\n") * 4 + line,  # a line of 2 characters
        line * 15,  # 780 characters
        line * 50,  # 2,600 characters
        line * 30,  # a copy, which the release keeps
    ]
    records, counts = select_unlabeled(
        texts,
        min_chars=1000,
        max_chars=2200,
        min_line_chars=5,
        dedup=False,
        minhash=MinHashSettings(),
        size=100,
        seed=0,
        workdir=tmp_path,
    )
    assert [r["text"] for r in records] == [t.strip() for t in texts if release_is_clean_text(t)]
    assert counts == {"read": 7, "outside_length_range": 2, "short_lines": 2, "sampled": 3}


def test_the_old_spelling_unlabelled_is_read_with_a_warning_for_one_release():
    config = {"humback": {"demo": {"unlabelled": {"path": "web.jsonl"}, "model": "m"}}}
    (message,) = rename_deprecated_keys(config)
    assert config["humback"]["demo"] == {"unlabeled": {"path": "web.jsonl"}, "model": "m"}
    assert "humback.demo.unlabelled is deprecated: rename it humback.demo.unlabeled" in message
    assert rename_deprecated_keys(config) == []
    both = {"humback": {"demo": {"unlabelled": {}, "unlabeled": {}}}}
    with pytest.raises(
        ConfigError, match=r"humback\.demo\.unlabelled: renamed humback\.demo\.unlabeled"
    ):
        rename_deprecated_keys(both)


def test_one_model_trains_with_its_own_steps_over_the_runs_settings():
    spec = {
        "training": {"max_steps": 500, "adam_beta2": 0.95},
        "training_by_model": {"M1": {"max_steps": 1200}},
    }
    assert humback_training(spec, "M0") == {"max_steps": 500, "adam_beta2": 0.95}
    assert humback_training(spec, "M1") == {"max_steps": 1200, "adam_beta2": 0.95}
    run = {"model": "m", "n_iterations": 1, "curate": {"agreement": False, "scorer": "model"}}
    config = {"models": {"m": {}}, "runs": {}, "datasets": {}}
    config["humback"] = {"hb": {**run, **spec, "training_by_model": {"M2": {}}}}
    config["humback"]["hb"] |= {"seed_data": {}, "unlabeled": {}}
    with pytest.raises(ConfigError, match=r"humback\.hb\.training_by_model\.M2: .* M0 to M1"):
        check_humback(config)


def test_web_text_reads_content_fields_and_plain_lines(tmp_path):
    jsonl = tmp_path / "web.jsonl"
    jsonl.write_text(json.dumps({"content": "one page", "url": "u"}) + "\n", encoding="utf-8-sig")
    lines = tmp_path / "web.txt"
    lines.write_text("first page\n\nsecond page\n", encoding="utf-8-sig")  # with a BOM
    assert read_web_text(jsonl) == ["one page"]
    assert read_web_text(lines) == ["first page", "second page"]


# The unofficial release's regexes, verbatim (src/core/filter_curation_results.py
# before and after its StrictCurationScoreMatching commit), read as it reads them.
RELEASE_REGEX = {
    "loose": re.compile(r"[Ss]core:\s*(\d+)"),
    "strict": re.compile(r"[Ss]core:\s*(\d+)$"),
}


def release_keeps(score_match, reply):
    """Whether the release keeps a pair (its --scores 5) for this curation reply."""
    found = RELEASE_REGEX[score_match].search(reply)
    return found is not None and int(found.group(1)) == 5


@pytest.mark.parametrize(
    ("reply", "robust", "loose", "strict"),
    [
        ("Reasoning... Score: 4", 4, 4, 4),
        ("A Score: 2 would be unfair here.\nScore: 5", 5, 2, 5),
        ("Score: 5\n\nI hope this helps!", 5, 5, None),
        ("It is clear and complete.\nScore: 5\n", 5, 5, 5),
        ("score: 5", 5, 5, 5),
        ("**Score:** 4", 4, None, None),
        ("score : 3/5", 3, None, None),
        ("Score: 10502", None, None, None),
        ("Score: 4.5", None, 4, None),
        ("Score: 0", None, None, None),
        ("No score at all.", None, None, None),
    ],
)
def test_each_score_match_reads_replies_as_its_parser_does(reply, robust, loose, strict):
    expected = {"robust": robust, "loose": loose, "strict": strict}
    for score_match, score in expected.items():
        assert parse_curation_score(reply, score_match) == score, score_match
    for score_match in RELEASE_REGEX:  # the same pairs kept as the release keeps
        assert (expected[score_match] == 5) == release_keeps(score_match, reply)
    assert parse_curation_score(reply) == robust  # the default


def test_a_curation_pass_scores_every_pair_keeps_the_best_and_counts_scores():
    pairs = [
        {"id": f"p{i}", "instruction": "Explain the tides.", "response": f"r{i}", "source": "web"}
        for i in range(4)
    ]
    replies = ["Fine.\nScore: 5", "**Score:** 4", "no score given", "Score: 5"]
    settings = {"threshold": 5, "min_instruction_chars": 10, "max_instruction_chars": 800}
    result = curate(scored_pairs(pairs, replies), settings)
    assert [(p["score"], p["reply"], p["source"]) for p in result.scored] == [
        (score, reply, "web") for score, reply in zip([5, 4, None, 5], replies, strict=True)
    ]
    assert result.kept == [
        {"id": f"p{i}", "instruction": "Explain the tides.", "response": f"r{i}", "score": 5}
        for i in (0, 3)
    ]
    counts = {"1": 0, "2": 0, "3": 0, "4": 1, "5": 2, "unparsed": 1}
    assert result.summary == {**counts, "kept": 2, "pairs": 4}


def test_curated_set_applies_threshold_and_instruction_length():
    pairs = [
        {"instruction": "Explain the tides.", "score": 5},
        {"instruction": "Explain the tides again.", "score": 4},
        {"instruction": "Hi", "score": 5},
        {"instruction": "x" * 801, "score": 5},
        {"instruction": "Unparsed reply here", "score": None},
    ]
    kept = curated(pairs, threshold=5, min_chars=10, max_chars=800)
    assert [p["instruction"] for p in kept] == ["Explain the tides."]
    assert len(curated(pairs, threshold=4, min_chars=10, max_chars=800)) == 2
    with pytest.raises(ValueError, match="from 1 to 5"):
        curated(pairs, threshold=6, min_chars=10, max_chars=800)


def test_curation_prompt_ends_with_instruction_then_text():
    prompt = curation_prompt("Explain tides.", "Tides follow the moon.")
    assert prompt.startswith("Below is an instruction from an user and a candidate answer.")
    assert prompt.endswith(
        'write "Score: <rating>" in the last line.\n\nExplain tides.\nTides follow the moon.'
    )


def test_tags_open_the_prompt_and_the_backward_model_writes_the_instruction():
    seed = forward_record("Explain tides.", "Tides follow the moon.", augmented=False)
    web = forward_record("Explain tides.", "Tides follow the moon.", augmented=True)
    assert alpaca_prompt(seed).startswith(SEED_TAG + "\n\n")
    assert alpaca_prompt(web).startswith(AUGMENTED_TAG + "\n\n")
    backward = backward_record("Explain tides.", "Tides follow the moon.")
    assert backward["instruction"] == BACKWARD_INSTRUCTION
    assert "Tides follow the moon." in alpaca_prompt(backward)
    assert backward["output"] == "Explain tides."


def test_proxy_curator_rejects_the_junk_the_rubric_names():
    pages = {
        text: proxy_curation_reply("Explain this page.", text)
        for text in (d["content"] for d in generate_web_text(60, seed=3))
    }
    scores = {text: parse_curation_score(reply) for text, reply in pages.items()}
    assert all(r.startswith("Proxy curator, not a model") for r in pages.values())
    assert all(scores[t] == 1 for t in scores if t.count("|") >= 5 or "Buy now" in t)
    assert any(s == 5 for s in scores.values())
    assert parse_curation_score(proxy_curation_reply("", "A clean page.")) == 2


def test_curation_counts_how_often_the_model_gives_the_proxys_score():
    proxy = [proxy_curation_reply("Explain.", text) for text in ("a | b | c | d | e | f", "Tides.")]
    scored = with_model_scores(
        scored_pairs([{"instruction": "Explain.", "response": ""}] * 2, proxy),
        ["It is navigation text.\nScore: 1", "Score: 3"],
    )
    settings = {"threshold": 5, "min_instruction_chars": 1, "max_instruction_chars": 800}
    summary = curate([{**p, "id": str(i)} for i, p in enumerate(scored)], settings).summary
    assert (summary["model_parsed"], summary["model_agrees"]) == (2, 1)
    unparsed = with_model_scores(scored, ["Score: 1", "I cannot say."])
    assert agreement(unparsed) == {"model_parsed": 1, "model_agrees": 1}
    assert agreement(scored_pairs([{"instruction": "x", "response": "y"}], ["Score: 5"])) == {}


def test_shards_cover_every_record_once_and_merge_in_order():
    items = [{"id": str(i)} for i in range(11)]
    parts = [shard(items, i, 4) for i in range(4)]
    assert [len(p) for p in parts] == [2, 3, 3, 3]
    assert merge(parts) == items
    with pytest.raises(ValueError, match="overlap"):
        merge([parts[0], parts[0]])
    with pytest.raises(ValueError, match="does not exist"):
        shard(items, 4, 4)
