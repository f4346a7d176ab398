"""A judge behind any OpenAI-compatible chat completions endpoint.

OpenAI itself, or ``vllm serve`` on the cluster. The key is read from the
environment variable the config names, never from the config.

Each call is retried on 429s, 5xx replies, timeouts and dropped connections,
with exponential backoff (or the server's ``retry-after``), ``max_retries``
times. A refused key, a missing model or a malformed request stops the job at
once; so do ``max_connection_failures`` connection failures in a row, with the
URL and model in the message, and so do ``max_connection_failures`` + 2 x
``max_concurrency`` timeouts in a row (a server that accepts connections but
never answers; a slow reply now and then is no outage). Replies go to the
shared cache as they arrive (``selfalign.evaluate.judging.cache``); each prompt is
claimed before it is sent, so concurrent jobs and runs send it once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid

from tqdm.auto import tqdm

from selfalign.evaluate.judging import JudgePrompt, register
from selfalign.evaluate.judging.cache import ReplyCache, reply_key

log = logging.getLogger(__name__)

OPENAI_URL = "https://api.openai.com/v1"
POLL_SECONDS = 0.5  # while another job sends a prompt this one needs
MAX_BACKOFF_SECONDS = 8.0


class JudgeUnavailable(RuntimeError):
    """The endpoint cannot serve this job: waiting or retrying would not help."""


class _Breaker:
    """Trips after ``limit`` connection failures in a row, or ``timeout_limit`` timeouts
    in a row (a slow reply is no outage, so timeouts need a longer run); any reply
    resets both."""

    def __init__(self, limit: int, timeout_limit: int):
        self.limits = {"connection failures": limit, "timeouts": timeout_limit}
        self.in_a_row = dict.fromkeys(self.limits, 0)

    def failure(self, kind: str) -> str | None:
        """What tripped it (``3 connection failures in a row``), or None."""
        self.in_a_row[kind] += 1
        if self.in_a_row[kind] >= self.limits[kind]:
            return f"{self.in_a_row[kind]} {kind} in a row"
        return None

    def success(self) -> None:
        self.in_a_row = dict.fromkeys(self.limits, 0)


def backoff_seconds(attempt: int, error) -> float:
    """The server's ``retry-after`` (ms or s) where it gives one, else 0.5 s doubling."""
    headers = getattr(getattr(error, "response", None), "headers", None) or {}
    for header, scale in (("retry-after-ms", 1e-3), ("retry-after", 1.0)):
        try:
            return min(float(headers[header]) * scale, MAX_BACKOFF_SECONDS)
        except (KeyError, ValueError):
            continue
    return min(0.5 * 2**attempt, MAX_BACKOFF_SECONDS)


class OpenAIJudge:
    """``settings``: the config's judge block; its optional ``endpoint`` names the
    server in the reply cache where ``base_url`` does not (a local server's port
    changes from run to run)."""

    def __init__(self, settings: dict):
        self.model = settings["model"]
        self.name = f"openai:{self.model}"
        self.settings = settings
        self.url = settings.get("base_url") or OPENAI_URL
        self.endpoint = settings.get("endpoint") or self.url
        self.decoding = {
            "temperature": settings["temperature"],
            "max_tokens": settings["max_tokens"],
        }
        retries, timeout = settings["max_retries"], settings["timeout"]
        # a claim outlives the longest a call can take: every try timing out, every backoff
        self.lease_seconds = (retries + 1) * timeout + retries * MAX_BACKOFF_SECONDS + 30

    def _client(self):
        from openai import AsyncOpenAI

        env = self.settings["api_key_env"]
        key = os.environ.get(env) if env else "EMPTY"
        if not key:
            raise RuntimeError(
                f"judge.api_key_env names {env}, which is not set: export {env}=<your key> "
                f"before running (keys never go in the config)"
            )
        # retries are ours (below): the SDK's would retry refused connections too
        return AsyncOpenAI(
            api_key=key, base_url=self.url, max_retries=0, timeout=self.settings["timeout"]
        )

    def _keys(self, prompts: list[JudgePrompt]) -> list[str]:
        # a constraint on the reply (extra_body) changes it: part of the key where set
        extra = (
            {"extra_body": self.settings["extra_body"]} if self.settings.get("extra_body") else {}
        )
        return [
            reply_key(self.endpoint, self.model, p.key_texts, **self.decoding, **extra)
            for p in prompts
        ]

    def _cache(self) -> ReplyCache:
        owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        return ReplyCache(self.settings["cache"], owner, self.settings.get("max_attempts", 3))

    def uncached(self, prompts: list[JudgePrompt]) -> int:
        """How many of ``prompts`` have no final reply in the cache yet."""
        cache = self._cache()
        try:
            keys = self._keys(prompts)
            return len(set(keys)) - len(cache.final(keys))
        finally:
            cache.close()

    def judge(self, prompts: list[JudgePrompt]) -> list[str]:
        cache = self._cache()
        try:
            return asyncio.run(self._judge_all(prompts, cache))
        finally:
            cache.close()

    async def _judge_all(self, prompts: list[JudgePrompt], cache: ReplyCache) -> list[str]:
        keys = self._keys(prompts)
        by_key = dict(zip(keys, prompts, strict=True))
        replies: dict[str, str] = {}
        waited = asked = 0
        while len(replies) < len(by_key):
            wanted = [k for k in by_key if k not in replies]
            claim = cache.claim(wanted, self.model, self.lease_seconds)
            replies |= claim.ready
            if claim.mine:
                asked += len(claim.mine)
                replies |= await self._ask_all({k: by_key[k] for k in claim.mine}, cache)
            elif claim.waiting:  # another job is sending them: its replies land in the cache
                waited = max(waited, len(claim.waiting))
                await asyncio.sleep(POLL_SECONDS)
        log.info(
            "%d prompts: %d sent to %s at %s, %d answered by another job at the same time",
            len(by_key), asked, self.model, self.url, waited,
        )  # fmt: skip
        answers = [replies[k] or "" for k in keys]
        if empty := sum(not r for r in answers):
            log.warning("%d replies are empty: counted as unparsed, asked again next run", empty)
        return answers

    async def _ask_all(self, todo: dict[str, JudgePrompt], cache: ReplyCache) -> dict[str, str]:
        """Send every claimed prompt; cache each reply as it comes. A fatal error stops
        the rest at once; a prompt that fails after its retries fails the job after the
        others are done. Either way, the claims of unsent prompts are given up."""
        client = self._client()
        limit = asyncio.Semaphore(self.settings["max_concurrency"])
        failures = self.settings.get("max_connection_failures", 3)
        # a hung server times out a whole wave of calls at once: allow two waves
        breaker = _Breaker(failures, failures + 2 * self.settings["max_concurrency"])
        got: dict[str, str] = {}

        async def ask(key: str, prompt: JudgePrompt) -> None:
            async with limit:
                response = await self._call(client, prompt, breaker)
            reply = response.choices[0].message.content or ""
            cache.put(key, reply, parsed=prompt.parses(reply))
            got[key] = reply

        with tqdm(total=len(todo), desc="judging", mininterval=5) as bar:
            tasks = [asyncio.create_task(ask(k, c)) for k, c in todo.items()]

            def done(task: asyncio.Task) -> None:
                bar.update()
                if not task.cancelled() and isinstance(task.exception(), JudgeUnavailable):
                    for other in tasks:
                        other.cancel()

            for task in tasks:
                task.add_done_callback(done)
            outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        await client.close()
        cache.release([k for k in todo if k not in got])
        if fatal := next((o for o in outcomes if isinstance(o, JudgeUnavailable)), None):
            raise JudgeUnavailable(
                f"{fatal} ({len(got)} replies that came back before are cached in "
                f"{self.settings['cache']})"
            ) from fatal.__cause__
        failed = [o for o in outcomes if isinstance(o, BaseException)]
        if failed:
            raise RuntimeError(
                f"{len(failed)} of {len(todo)} judge calls failed after retries; the "
                f"{len(got)} replies that came back are cached in "
                f"{self.settings['cache']}, so a rerun asks only for the rest"
            ) from failed[0]
        return got

    async def _call(self, client, prompt: JudgePrompt, breaker: _Breaker):
        import openai

        where = f"the judge {self.model!r} at {self.url}"
        for attempt in range(self.settings["max_retries"] + 1):
            last = attempt == self.settings["max_retries"]
            try:
                response = await client.chat.completions.create(
                    model=self.model,
                    messages=prompt.messages,
                    extra_body=self.settings.get("extra_body") or None,
                    **self.decoding,
                )
            except (openai.AuthenticationError, openai.PermissionDeniedError) as err:
                raise JudgeUnavailable(
                    f"{where} refused the key in ${self.settings['api_key_env']}: {err}"
                ) from err
            except (openai.NotFoundError, openai.BadRequestError) as err:
                raise JudgeUnavailable(f"{where} rejected the request: {err}") from err
            except openai.APIConnectionError as err:  # refused, dropped or timed out
                kind = "timeouts" if isinstance(err, openai.APITimeoutError) else None
                if tripped := breaker.failure(kind or "connection failures"):
                    raise JudgeUnavailable(
                        f"cannot reach {where}: {tripped} ({err.__cause__ or err}); start the "
                        "server or fix evaluation.judge.base_url"
                    ) from err
                if last:
                    raise
                await asyncio.sleep(backoff_seconds(attempt, err))
                continue
            except (
                openai.RateLimitError,
                openai.InternalServerError,
                openai.APIStatusError,
            ) as err:
                if last:
                    raise
                await asyncio.sleep(backoff_seconds(attempt, err))
                continue
            else:
                breaker.success()
                return response
        raise AssertionError("unreachable")  # the last attempt returns or raises


@register("openai")
def make(settings: dict) -> OpenAIJudge:
    return OpenAIJudge(settings)
