"""Planning time: a dry run of the paper's DiverseEvol config (10 rounds x 2 runs x 3 test sets).

Stand-in data files are written to a temporary folder; the dry run must not
import torch, transformers or vllm.

    python benchmarks/dryrun.py
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        (work / "data/diverseevol/test_data").mkdir(parents=True)
        records = [
            {"instruction": f"Q{i}?", "context": "", "response": f"A{i}."} for i in range(15011)
        ]
        (work / "data/databricks-dolly-15k.jsonl").write_text(
            "".join(json.dumps(r) + "\n" for r in records)
        )
        for name in ("vicuna", "koala", "wizardlm"):
            (work / f"data/diverseevol/test_data/{name}_test_set.jsonl").write_text(
                '{"id": "q1", "instruction": "Why?"}\n'
            )
        chat = work / "data/diverseevol/answer_reference/koala_test/gpt/gpt35_0624.jsonl"
        chat.parent.mkdir(parents=True)
        chat.write_text('{"id": "q1", "instruction": "Why?", "answer": "Because."}\n')
        alpaca = work / "data/alpaca_eval/text_davinci_003_model_outputs.json"
        alpaca.parent.mkdir(parents=True)
        alpaca.write_text('[{"instruction": "Why?", "output": "Because.", "generator": "r"}]')
        shutil.copy(REPO / "config/diverseevol_dolly.yaml", work / "config.yaml")
        command = [sys.executable, "-X", "importtime", "-m", "snakemake", "-n",
                   "--snakefile", str(REPO / "Snakefile"), "--directory", str(work),
                   "--configfile", str(work / "config.yaml"), "--cores", "2"]  # fmt: skip
        start = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, check=True)
        seconds = time.perf_counter() - start
    imported = {
        line.rsplit("|", 1)[-1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:")
    }
    output = (result.stdout + result.stderr).splitlines()
    jobs = next(line for line in output if line.startswith("total"))
    heavy = sorted({"torch", "transformers", "vllm"} & imported)
    print(
        f"dry run of config/diverseevol_dolly.yaml (15,011-record pool): {seconds:.1f} s, "
        f"{jobs.split()[1]} jobs planned; heavy imports: {heavy or 'none'}"
    )


if __name__ == "__main__":
    main()
