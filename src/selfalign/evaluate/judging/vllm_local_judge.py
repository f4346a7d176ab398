"""A judge that the workflow serves itself: ``vllm serve`` on 127.0.0.1 with a
model folder, asked through the ``openai`` judge.

The judge jobs of a results folder share one server (``vllm_server``), which
stops once unused; replies are cached under the model folder's path, not the
server's port, so a rerun with a new server finds them.
"""

from __future__ import annotations

from selfalign.evaluate.judging import register
from selfalign.evaluate.judging.openai_judge import OpenAIJudge
from selfalign.evaluate.judging.vllm_server import SharedServer


class LocalVllmJudge:
    """``settings``: the judge block, with the workflow's ``model_dir`` (the folder
    to serve), ``vllm_python`` and the ``server`` block (``args``, ``idle_seconds``,
    ``start_timeout``, ``state_dir``)."""

    def __init__(self, settings: dict):
        self.settings = settings
        self.name = f"vllm_local:{settings['model']}"
        server = settings["server"]
        self.server = SharedServer(
            server["state_dir"],
            settings["vllm_python"],
            settings["model_dir"],
            settings["model"],
            server["args"],
            idle_seconds=server["idle_seconds"],
        )

    def _client(self, url: str | None) -> OpenAIJudge:
        client = {"base_url": url, "api_key_env": None, "endpoint": self.server.model_dir}
        return OpenAIJudge({**self.settings, **client})

    def judge(self, comparisons) -> list[str]:
        if not self._client(None).uncached(comparisons):  # a rerun: no server needed
            return self._client(None).judge(comparisons)
        with self.server.use(self.settings["server"]["start_timeout"]) as url:
            return self._client(url).judge(comparisons)


@register("vllm_local")
def make(settings: dict) -> LocalVllmJudge:
    return LocalVllmJudge(settings)
