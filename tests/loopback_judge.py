"""A chat-completions server on 127.0.0.1 that misbehaves on purpose.

A test double for an OpenAI-compatible judge endpoint: the first request for
each prompt may get a 429, a 500 or a reply slower than the client's timeout;
later requests get "7 4" and one line of explanation. It counts what it served.
With ``faults=False`` every request is answered at once; ``reply`` maps the
prompt (the last message's content) to the answer's text; ``status`` answers
every request with that HTTP error instead (401: a refused key). A request that
asks for ``logprobs`` gets, for the reply's one token, the alternatives and
log-probabilities that ``top_logprobs`` maps the prompt to.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAULTS = ("429", "500", "slow", None)


class LoopbackJudge:
    def __init__(
        self,
        slow_seconds: float = 1.5,
        always_fail: set[str] = frozenset(),
        faults: bool = True,
        reply: Callable[[str], str] = lambda prompt: "7 4\nLoopback judge.",
        status: int | None = None,
        top_logprobs: Callable[[str], dict[str, float]] | None = None,
    ):
        self.status = status
        self.top_logprobs = top_logprobs
        self.slow_seconds = slow_seconds
        self.faults_on = faults
        self.reply_for = reply
        self.always_fail = set(always_fail)  # prompts that get a 500 every time
        self.requests: Counter[str] = Counter()
        self.served: Counter[str] = Counter()  # prompt -> prompt replies sent in time
        self.faults: Counter[str] = Counter()
        self.lock = threading.Lock()
        judge = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                prompt = body["messages"][-1]["content"]
                with judge.lock:
                    judge.requests[prompt] += 1
                    first = judge.requests[prompt] == 1
                if judge.status is not None:
                    return self.reply(judge.status, {"error": {"message": str(judge.status)}})
                fault = judge.fault_for(prompt) if first and judge.faults_on else None
                if prompt in judge.always_fail:
                    fault = "500"
                if fault in ("429", "500"):
                    judge.faults[fault] += 1
                    return self.reply(int(fault), {"error": {"message": fault}})
                if fault == "slow":
                    judge.faults["slow"] += 1
                    time.sleep(judge.slow_seconds)
                else:
                    with judge.lock:
                        judge.served[prompt] += 1
                message = {"role": "assistant", "content": judge.reply_for(prompt)}
                choice = {"index": 0, "message": message, "finish_reason": "stop"}
                if body.get("logprobs") and judge.top_logprobs:
                    choice["logprobs"] = judge.logprobs(prompt, message["content"])
                self.reply(
                    200,
                    {
                        "id": "cmpl-1",
                        "object": "chat.completion",
                        "created": 0,
                        "model": body["model"],
                        "choices": [choice],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                    },
                )

            def reply(self, status, payload):
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.send_header("retry-after-ms", "20")
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up on a slow reply

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def logprobs(self, prompt: str, token: str) -> dict:
        """A chat completion's ``logprobs`` for a one-token reply."""
        top = self.top_logprobs(prompt)
        alternatives = [{"token": t, "logprob": lp, "bytes": None} for t, lp in top.items()]
        first = {"token": token, "logprob": top[token], "bytes": None}
        return {"content": [first | {"top_logprobs": alternatives}]}

    @staticmethod
    def fault_for(prompt: str) -> str | None:
        return FAULTS[hashlib.sha256(prompt.encode()).digest()[0] % len(FAULTS)]

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
