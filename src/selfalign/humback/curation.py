"""Self-curation: the model scores each (instruction, text) pair from 1 to 5."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from selfalign.humback import SEED_TAG

CURATION_PROMPT = """Below is an instruction from an user and a candidate answer. Evaluate whether or not the answer is a good example of how AI Assistant should respond to the user's instruction. Please assign a score using the following 5-point scale:
1: It means the answer is incomplete, vague, off-topic, controversial, or not exactly what the user asked for. For example, some content seems missing, numbered list does not start from the beginning, the opening sentence repeats user's question. Or the response is from another person’s perspective with their personal experience (e.g. taken from blog posts), or looks like an answer from a forum. Or it contains promotional text, navigation text, or other irrelevant information.
2: It means the answer addresses most of the asks from the user. It does not directly address the user's question. For example, it only provides a high-level methodology instead of the exact solution to user's question.
3: It means the answer is helpful but not written by an AI Assistant. It addresses all the basic asks from the user. It is complete and self contained with the drawback that the response is not written from an AI assistant's perspective, but from other people's perspective. The content looks like an excerpt from a blog post, web page, or web search results. For example, it contains personal experience or opinion, mentions comments section, or share on social media, etc.
4: It means the answer is written from an AI assistant's perspective with a clear focus of addressing the instruction. It provide a complete, clear, and comprehensive response to user’s question or instruction without missing or irrelevant information. It is well organized, self-contained, and written in a helpful tone. It has minor room for improvement, e.g. more concise and focused.
5: It means it is a perfect answer from an AI Assistant. It has a clear focus on being a helpful AI Assistant, where the response looks like intentionally written to address the user's question or instruction without any irrelevant sentences. The answer provides high quality content, demonstrating expert knowledge in the area, is very well written, logical, easy-to-follow, engaging and insightful.

Please first provide a brief reasoning you used to derive the rating score, and then write "Score: <rating>" in the last line.

{generated_instruction}
{response}"""  # noqa: E501, RUF001 - verbatim from the paper

# How a score is read from a reply (curate.score_match):
# robust: the last "Score: 4", "**Score:** 4", "score : 4/5" or "*Score*: 4", the
#   number taken whole (a 4.5 is no score);
# loose: the unofficial release's first regex, its first match anywhere;
# strict: its "StrictCurationScoreMatching", anchored at the end of the reply.
SCORE_MATCHES = {
    "robust": re.compile(
        r"[*_]*score[*_]*\s*:\s*[*_]*\s*(\d+(?:\.\d+)?)\s*[*_]*\s*(?:/\s*5)?", re.I
    ),
    "loose": re.compile(r"[Ss]core:\s*(\d+)"),
    "strict": re.compile(r"[Ss]core:\s*(\d+)$"),
}


def curation_prompt(instruction: str, text: str) -> str:
    return CURATION_PROMPT.format(generated_instruction=instruction, response=text)


def parse_curation_score(reply: str | None, score_match: str = "robust") -> int | None:
    """The score a reply gives, if it is a whole 1 to 5 (see ``SCORE_MATCHES``).

    The release counts any number its regex finds and keeps only 5s; here a number
    outside 1-5 counts as no score, so the same pairs are kept.
    """
    pattern = SCORE_MATCHES[score_match]
    if score_match == "robust":
        matches = pattern.findall(reply or "")
        value = matches[-1] if matches else ""
    else:
        found = pattern.search(reply or "")
        value = found.group(1) if found else ""
    return int(value) if value.isdigit() and 1 <= int(value) <= 5 else None


def score_histogram(scores: list[int | None]) -> dict[str, int]:
    """Counts of 1..5 and of unparsed replies."""
    counts = Counter(scores)
    return {**{str(s): counts.get(s, 0) for s in range(1, 6)}, "unparsed": counts.get(None, 0)}


def curated(pairs: list[dict], *, threshold: int, min_chars: int, max_chars: int) -> list[dict]:
    """Pairs scored at least ``threshold`` whose instruction has min..max characters."""
    if not 1 <= threshold <= 5:
        raise ValueError(f"curation threshold must be from 1 to 5, got {threshold}")
    return [
        p
        for p in pairs
        if p["score"] is not None
        and p["score"] >= threshold
        and min_chars <= len(p["instruction"].strip()) <= max_chars
    ]


@dataclass(frozen=True)
class Curation:
    """One pass of self-curation over the augmented pairs."""

    scored: list[dict]  # every pair with the curator's reply and its score
    kept: list[dict]  # A_t: id, instruction, response and score of the pairs kept
    # counts of scores 1..5 and unparsed, pairs kept, pairs; beside a proxy, how many
    # pairs the model scored and on how many it gave the proxy's score
    summary: dict[str, int]


@dataclass(frozen=True)
class Curator:
    """The model that scores the pairs (M_{t-1}), how it generates, and how it is asked:
    its prompt format and the system text of inference."""

    generation: dict
    model: str | None
    prompt_format: str = "alpaca"
    system: str = SEED_TAG


def curation_replies(pairs: list[dict], settings: dict, curator: Curator) -> list[str]:
    """The curator's reply to every pair: the model's (M_{t-1}, as in the paper), or
    the offline proxy's when the ``curate`` settings' scorer is ``proxy``."""
    if settings["scorer"] == "proxy":
        return [proxy_curation_reply(p["instruction"], p["response"]) for p in pairs]
    return model_curation_replies(pairs, settings, curator)


def model_curation_replies(pairs: list[dict], settings: dict, curator: Curator) -> list[str]:
    """The model's reply to the rating prompt for every pair.

    Every prompt opens with the same rubric and ends with its pair, so an engine
    with prefix caching (vLLM) computes the rubric's attention keys once.
    """
    from selfalign.generate import generate

    # the user turn of the model's own prompt format, with the system text of inference
    prompts = [
        {"instruction": curation_prompt(p["instruction"], p["response"]), "system": curator.system}
        for p in pairs
    ]
    return generate(
        curator.generation, curator.model, prompts, settings, prompt_format=curator.prompt_format
    )


def scored_pairs(pairs: list[dict], replies: list[str], score_match: str = "robust") -> list[dict]:
    """Each pair with the curator's reply and the score read from it."""
    return [
        {**p, "reply": r, "score": parse_curation_score(r, score_match)}
        for p, r in zip(pairs, replies, strict=True)
    ]


def score_pairs(pairs: list[dict], settings: dict, curator: Curator) -> list[dict]:
    """Each pair with the curator's reply and score; under the ``curate`` settings'
    ``agreement``, the model's own reply and score beside the proxy's."""
    scored = scored_pairs(
        pairs, curation_replies(pairs, settings, curator), settings["score_match"]
    )
    if settings["agreement"]:
        own = model_curation_replies(pairs, settings, curator)
        scored = with_model_scores(scored, own, settings["score_match"])
    return scored


def with_model_scores(
    scored: list[dict], replies: list[str], score_match: str = "robust"
) -> list[dict]:
    """Each proxy-scored pair with the model's own reply and score beside the proxy's."""
    return [
        {**p, "model_reply": r, "model_score": parse_curation_score(r, score_match)}
        for p, r in zip(scored, replies, strict=True)
    ]


def agreement(scored: list[dict]) -> dict[str, int]:
    """Of the pairs a model scored beside the proxy: how many it scored (its reply
    has a ``Score:`` line) and how many it gave the proxy's score; empty without."""
    if not scored or "model_score" not in scored[0]:
        return {}
    parsed = [p for p in scored if p["model_score"] is not None]
    return {
        "model_parsed": len(parsed),
        "model_agrees": sum(p["model_score"] == p["score"] for p in parsed),
    }


def curate(scored: list[dict], settings: dict) -> Curation:
    """Keep the scored pairs the ``curate`` settings accept, and count the scores."""
    kept = curated(
        scored,
        threshold=settings["threshold"],
        min_chars=settings["min_instruction_chars"],
        max_chars=settings["max_instruction_chars"],
    )
    histogram = score_histogram([p["score"] for p in scored])
    return Curation(
        scored=scored,
        kept=[{k: p[k] for k in ("id", "instruction", "response", "score")} for p in kept],
        summary={**histogram, "kept": len(kept), "pairs": len(scored), **agreement(scored)},
    )


def curation_problem(summary: dict[str, int], settings: dict) -> str | None:
    """Why a curation cannot stand: too few replies parsed (``min_parsed``), or no
    pair kept; None where it can."""
    pairs = summary["pairs"]
    parsed = pairs - summary["unparsed"]
    if pairs and parsed < settings["min_parsed"] * pairs:
        return (
            f"only {parsed} of {pairs} curation replies ({parsed / pairs:.0%}) have a "
            f"'Score: N' line, below curate.min_parsed ({settings['min_parsed']:.0%})"
        )
    if not summary["kept"]:
        return f"no pair scored {settings['threshold']} or more (curate.threshold) was kept"
    return None


def describe_scores(summary: dict[str, int]) -> str:
    """The histogram in one line: ``1: 3, 2: 0, ... unparsed: 1; kept 5 of 9 (89% parsed)``."""
    scores = ", ".join(f"{s}: {summary[str(s)]}" for s in range(1, 6))
    parsed = summary["pairs"] - summary["unparsed"]
    share = parsed / summary["pairs"] if summary["pairs"] else 0.0
    return (
        f"scores {scores}, unparsed: {summary['unparsed']}; kept {summary['kept']} of "
        f"{summary['pairs']} ({share:.0%} parsed)"
    )


_NAVIGATION = re.compile(r"\|")
_PROMOTION = re.compile(r"buy now|subscribe|click here|free shipping|limited offer|% off", re.I)
_FORUM = re.compile(r"\blol\b|\+1|\bbump\b|\breply\b|\bquote\b|posted by|\btbh\b", re.I)


def proxy_curation_reply(instruction: str, text: str) -> str:
    """An offline stand-in for a model's curation reply, for the CPU demo only.

    It spots the junk the rubric's score 1 names (navigation text, promotions,
    forum chatter) by surface patterns, and writes its reply in the format a
    model is asked for, so the same parser reads it.
    """
    if len(_NAVIGATION.findall(text)) >= 5:
        reason, score = "the answer is navigation text", 1
    elif _PROMOTION.search(text):
        reason, score = "the answer contains promotional text", 1
    elif len(_FORUM.findall(text)) >= 2:
        reason, score = "the answer looks like forum chatter", 1
    elif not instruction.strip():
        reason, score = "there is no instruction to answer", 2
    else:
        reason, score = "the answer is self-contained and on one topic", 5
    return f"Proxy curator, not a model: {reason}.\nScore: {score}"
