"""The openai judge against a misbehaving chat-completions server on loopback."""

import multiprocessing
import os
import socket
import time
from pathlib import Path

import pytest
from loopback_judge import LoopbackJudge

from selfalign.evaluate.judging import Comparison, make_judge, parse_scores
from selfalign.evaluate.judging.openai_judge import JudgeUnavailable


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


def test_unparsed_replies_are_kept_and_asked_again_up_to_max_attempts(tmp_path):
    items, cache = comparisons(3), tmp_path / "cache.sqlite"
    with LoopbackJudge(faults=False, reply=lambda prompt: "Both are fine.") as server:
        for run in range(1, 5):
            replies = make_judge(settings(server.url, cache, max_attempts=3)).judge(items)
            assert replies == ["Both are fine."] * 3  # kept, for the record
            asked = min(run, 3)  # the fourth run takes the third reply as final
            assert server.requests == {c.prompt: asked for c in items}, run


def test_two_endpoints_serving_one_model_name_share_no_verdicts(tmp_path):
    items, cache = comparisons(2), tmp_path / "cache.sqlite"
    with LoopbackJudge(faults=False) as first, LoopbackJudge(faults=False) as second:
        make_judge(settings(first.url, cache)).judge(items)
        make_judge(settings(second.url, cache)).judge(items)
        assert first.requests == second.requests == {c.prompt: 1 for c in items}


def test_a_refused_key_stops_the_job_at_once(tmp_path):
    items = comparisons(16)
    with LoopbackJudge(status=401) as server:
        judge = make_judge(settings(server.url, tmp_path / "c.sqlite", max_concurrency=2))
        with pytest.raises(JudgeUnavailable, match=r"refused the key in \$LOOPBACK_JUDGE_KEY"):
            judge.judge(items)
        assert sum(server.requests.values()) <= 2  # the calls in flight, none retried


def test_an_unreachable_judge_fails_in_seconds_and_names_its_url(tmp_path):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/v1"
    judge = make_judge(settings(url, tmp_path / "c.sqlite", max_retries=8))
    start = time.monotonic()
    with pytest.raises(JudgeUnavailable) as failed:
        judge.judge(comparisons(40))
    assert time.monotonic() - start < 10  # 3 refused connections in a row, not 40 x 8 tries
    assert f"cannot reach the judge 'judge-model' at {url}: 3 connection failures in a row" in str(
        failed.value
    )


def judge_in_a_process(url, cache, out):
    os.environ["LOOPBACK_JUDGE_KEY"] = "not-a-real-key"
    replies = make_judge(settings(url, cache, max_concurrency=2)).judge(comparisons(12))
    Path(out).write_text("\n".join(replies))


def test_concurrent_processes_sharing_a_cache_send_each_prompt_once(tmp_path):
    def slow_reply(prompt):
        time.sleep(0.2)  # long enough for the processes to overlap
        return "7 4\nLoopback judge."

    cache = tmp_path / "cache.sqlite"
    with LoopbackJudge(faults=False, reply=slow_reply) as server:
        processes = [
            multiprocessing.get_context("spawn").Process(
                target=judge_in_a_process, args=(server.url, cache, tmp_path / f"out{i}")
            )
            for i in range(3)
        ]
        for process in processes:
            process.start()
        for process in processes:
            process.join(timeout=120)
            assert process.exitcode == 0
        assert server.requests == {c.prompt: 1 for c in comparisons(12)}
    outputs = {(tmp_path / f"out{i}").read_text() for i in range(3)}
    assert len(outputs) == 1 and "7 4" in outputs.pop()
