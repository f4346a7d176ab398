"""The openai judge against a misbehaving chat-completions server on loopback."""

import pytest
from loopback_judge import LoopbackJudge

from selfalign.judging import Comparison, make_judge, parse_scores


def settings(url, cache, **overrides):
    return {
        "backend": "openai",
        "model": "judge-model",
        "base_url": url,
        "api_key_env": "LOOPBACK_JUDGE_KEY",
        "max_concurrency": 4,
        "max_retries": 6,
        "timeout": 0.5,
        "temperature": 0.0,
        "max_tokens": 64,
        "cache": str(cache),
        **overrides,
    }


def comparisons(n):
    return [Comparison(f"Question {i}?", f"answer A{i}", f"answer B{i}") for i in range(n)]


@pytest.fixture(autouse=True)
def api_key(monkeypatch):
    monkeypatch.setenv("LOOPBACK_JUDGE_KEY", "not-a-real-key")


def test_every_judgment_completes_once_through_429s_500s_and_timeouts(tmp_path):
    items = comparisons(16)
    with LoopbackJudge() as server:
        replies = make_judge(settings(server.url, tmp_path / "cache.sqlite")).judge(items)
        assert all(parse_scores(r) == (7.0, 4.0) for r in replies)
        assert {"429", "500", "slow"} <= set(server.faults)
        assert server.served == {c.prompt: 1 for c in items}  # one reply in time per prompt
        first_pass = sum(server.requests.values())

        again = make_judge(settings(server.url, tmp_path / "cache.sqlite")).judge(items)
        assert again == replies
        assert sum(server.requests.values()) == first_pass  # all from the cache


def test_a_crash_mid_way_keeps_every_reply_that_came_back(tmp_path):
    items = comparisons(10)
    broken = items[3].prompt
    cache = tmp_path / "cache.sqlite"
    with LoopbackJudge(always_fail={broken}) as server:
        with pytest.raises(RuntimeError, match="1 of 10 judge calls failed after retries"):
            make_judge(settings(server.url, cache, max_retries=1)).judge(items)
        server.always_fail.clear()
        asked_before = server.requests.copy()
        make_judge(settings(server.url, cache)).judge(items)
        asked_again = server.requests - asked_before
        assert set(asked_again) == {broken}


def test_a_missing_key_says_which_variable_to_set(tmp_path, monkeypatch):
    monkeypatch.delenv("LOOPBACK_JUDGE_KEY")
    judge = make_judge(settings("http://127.0.0.1:9/v1", tmp_path / "c.sqlite"))
    with pytest.raises(RuntimeError, match="export LOOPBACK_JUDGE_KEY="):
        judge.judge(comparisons(1))


def test_an_empty_reply_is_not_kept_and_is_asked_again(tmp_path):
    items = comparisons(3)
    empty_once = {items[1].prompt}

    def reply(prompt):
        if prompt in empty_once:
            empty_once.clear()
            return ""
        return "7 4\nLoopback judge."

    cache = tmp_path / "cache.sqlite"
    with LoopbackJudge(faults=False, reply=reply) as server:
        first = make_judge(settings(server.url, cache)).judge(items)
        assert [parse_scores(r) for r in first] == [(7.0, 4.0), None, (7.0, 4.0)]
        again = make_judge(settings(server.url, cache)).judge(items)
        assert all(parse_scores(r) == (7.0, 4.0) for r in again)
        assert server.requests[items[1].prompt] == 2
        assert server.requests[items[0].prompt] == 1  # kept from the first run
