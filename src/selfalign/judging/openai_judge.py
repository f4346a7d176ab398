"""A judge behind any OpenAI-compatible chat completions endpoint.

OpenAI itself, or ``vllm serve`` on the cluster. The key is read from the
environment variable the config names, never from the config. The SDK retries
429s, 5xx replies and timeouts with exponential backoff; concurrency is
bounded; every reply is cached before the next is awaited, so a rerun or a
crash mid-way never repeats a paid call.
"""

from __future__ import annotations

import asyncio
import logging
import os

from tqdm.auto import tqdm

from selfalign.judging import Comparison, register
from selfalign.judging.cache import ReplyCache, reply_key

log = logging.getLogger(__name__)


OPENAI_URL = "https://api.openai.com/v1"


class OpenAIJudge:
    """``settings``: the config's judge block; its optional ``endpoint`` names the
    server in the reply cache where ``base_url`` does not (a local server's port
    changes from run to run)."""

    def __init__(self, settings: dict):
        self.model = settings["model"]
        self.name = f"openai:{self.model}"
        self.settings = settings
        self.endpoint = settings.get("endpoint") or settings.get("base_url") or OPENAI_URL
        self.decoding = {
            "temperature": settings["temperature"],
            "max_tokens": settings["max_tokens"],
        }

    def _client(self):
        from openai import AsyncOpenAI

        env = self.settings["api_key_env"]
        key = os.environ.get(env) if env else "EMPTY"
        if not key:
            raise RuntimeError(
                f"judge.api_key_env names {env}, which is not set: export {env}=<your key> "
                f"before running (keys never go in the config)"
            )
        return AsyncOpenAI(
            api_key=key,
            base_url=self.settings.get("base_url"),
            max_retries=self.settings["max_retries"],
            timeout=self.settings["timeout"],
        )

    def judge(self, comparisons: list[Comparison]) -> list[str]:
        cache = ReplyCache(self.settings["cache"])
        try:
            return asyncio.run(self._judge_all(comparisons, cache))
        finally:
            cache.close()

    def _keys(self, comparisons: list[Comparison]) -> list[str]:
        # a constraint on the reply (extra_body) changes it: part of the key where set
        extra = (
            {"extra_body": self.settings["extra_body"]} if self.settings.get("extra_body") else {}
        )
        return [
            reply_key(
                self.endpoint,
                self.model,
                c.question,
                c.answer_1,
                c.answer_2,
                **self.decoding,
                **extra,
            )
            for c in comparisons
        ]

    def uncached(self, comparisons: list[Comparison]) -> int:
        """How many of ``comparisons`` have no reply in the cache yet."""
        cache = ReplyCache(self.settings["cache"])
        try:
            return sum(not cache.get(key) for key in self._keys(comparisons))
        finally:
            cache.close()

    async def _judge_all(self, comparisons: list[Comparison], cache: ReplyCache) -> list[str]:
        keys = self._keys(comparisons)
        # An empty reply is never kept: it is asked again on the next run.
        todo = {k: c for k, c in zip(keys, comparisons, strict=True) if not cache.get(k)}
        log.info(
            "%d comparisons, %d cached, %d to ask %s",
            len(keys),
            len(keys) - len(todo),
            len(todo),
            self.name,
        )
        if todo:
            client = self._client()
            limit = asyncio.Semaphore(self.settings["max_concurrency"])

            async def ask(key: str, comparison: Comparison) -> None:
                async with limit:
                    response = await client.chat.completions.create(
                        model=self.model,
                        messages=[{"role": "user", "content": comparison.prompt}],
                        extra_body=self.settings.get("extra_body") or None,
                        **self.decoding,
                    )
                reply = response.choices[0].message.content
                if reply and reply.strip():
                    cache.put(key, self.model, reply)

            with tqdm(total=len(todo), desc="judging", mininterval=5) as bar:
                tasks = [asyncio.create_task(ask(k, c)) for k, c in todo.items()]
                for task in tasks:
                    task.add_done_callback(lambda _: bar.update())
                # Let every call finish (and be cached) even when one fails for good.
                outcomes = await asyncio.gather(*tasks, return_exceptions=True)
            await client.close()
            failed = [o for o in outcomes if isinstance(o, BaseException)]
            if failed:
                raise RuntimeError(
                    f"{len(failed)} of {len(todo)} judge calls failed after retries; the "
                    f"{len(todo) - len(failed)} replies that came back are cached in "
                    f"{self.settings['cache']}, so a rerun asks only for the rest"
                ) from failed[0]
        replies = [cache.get(k) or "" for k in keys]
        if empty := sum(not r for r in replies):
            log.warning(
                "%d replies came back empty: counted as unparsed, asked again next run", empty
            )
        return replies


@register("openai")
def make(settings: dict) -> OpenAIJudge:
    return OpenAIJudge(settings)
