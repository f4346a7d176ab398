"""The openai judge: bounded concurrency against sequential calls, then the cache.

Runs against a chat-completions server on loopback that waits a fixed time
per call (a test double for an API endpoint).

    python benchmarks/judge.py --judgments 400 --concurrency 16 --latency 0.2
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from selfalign.evaluate.judging import Comparison, make_judge


def serve(latency: float) -> tuple[ThreadingHTTPServer, list[int]]:
    calls = [0]
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with lock:
                calls[0] += 1
            time.sleep(latency)
            payload = json.dumps(
                {
                    "id": "c",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body["model"],
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {"role": "assistant", "content": "6 5\\nfine"},
                        }
                    ],
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--judgments", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latency", type=float, default=0.2)
    args = parser.parse_args()
    os.environ["BENCH_JUDGE_KEY"] = "not-a-real-key"
    server, calls = serve(args.latency)
    url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    print(f"# {args.judgments} judgments, server latency {args.latency * 1000:.0f} ms per call")
    print("| run | seconds | calls to the server | speed-up |")
    print("| --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as folder:
        timings = {}
        for label, concurrency, cache in (
            ("sequential", 1, "sequential.sqlite"),
            (f"concurrency {args.concurrency}", args.concurrency, "concurrent.sqlite"),
            ("rerun (cached)", args.concurrency, "concurrent.sqlite"),
        ):
            settings = {
                "backend": "openai",
                "model": "m",
                "base_url": url,
                "api_key_env": "BENCH_JUDGE_KEY",
                "max_concurrency": concurrency,
                "max_retries": 2,
                "timeout": 30,
                "temperature": 0.0,
                "max_tokens": 16,
                "cache": f"{folder}/{cache}",
            }
            items = [Comparison(f"Q{i}", f"a{i}", f"b{i}") for i in range(args.judgments)]
            before = calls[0]
            start = time.perf_counter()
            make_judge(settings).judge(items)
            timings[label] = time.perf_counter() - start
            speed = timings["sequential"] / timings[label]
            print(f"| {label} | {timings[label]:.2f} | {calls[0] - before} | {speed:.1f}x |")
            sys.stdout.flush()
    server.shutdown()


if __name__ == "__main__":
    main()
