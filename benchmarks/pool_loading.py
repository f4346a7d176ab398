"""Reading a pool: the loader of the ``prepare_pool`` job on an Alpaca-style
JSON array of 52,002 records and on 500,000 JSON Lines records; and Humback's
unlabeled-text reader on 500,000 web texts of 600 to 3,000 characters.

Each runs in a fresh process (imports included, as in the job): read and
check every record through ``datasets``, then write the Arrow pool; the
per-record JSON checker, which now only locates faults, is timed beside it.
The web texts go through ``humback.unlabeled.read_web_text`` (the same JSON
parser, ``records.parse_json_records``), before any filter or deduplication.

    python benchmarks/pool_loading.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from pool_data import alpaca_like, web_text_like, write_alpaca_array, write_json_lines

MEASURE = """
import json, resource, sys, time
start = time.perf_counter()
from selfalign.data.pools import prepare_pool
from selfalign.io import write_arrow
from selfalign.data.records import check_json_records
path, out = sys.argv[1], sys.argv[2]
table = prepare_pool({"path": path})
loaded = time.perf_counter()
write_arrow(table, out)
written = time.perf_counter()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
check_json_records(path)
checked = time.perf_counter()
print(json.dumps({"records": table.num_rows, "read and check s": loaded - start,
                  "write s": written - loaded, "per-record checker s": checked - written,
                  "peak MiB": peak}))
"""

READ_WEB_TEXT = """
import json, resource, sys, time
start = time.perf_counter()
from selfalign.humback.unlabeled import read_web_text
texts = read_web_text(sys.argv[1])
print(json.dumps({"texts": len(texts), "seconds": time.perf_counter() - start,
                  "peak MiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(code: str, *args) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.splitlines()[-1])


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        sources = {
            "52,002 records, one JSON array": write_alpaca_array(
                alpaca_like(52_002), work / "alpaca_data.json"
            ),
            "500,000 records, JSON Lines": write_json_lines(
                alpaca_like(500_000), work / "pool.jsonl"
            ),
        }
        print("| source | MB | read and check s | write s | peak MiB | per-record checker s |")
        print("| --- | --- | --- | --- | --- | --- |")
        for name, path in sources.items():
            row = run(MEASURE, path, work / "pool.arrow")
            print(f"| {name} | {path.stat().st_size / 1e6:.0f} | {row['read and check s']:.2f} | "
                  f"{row['write s']:.2f} | {row['peak MiB']:.0f} | "
                  f"{row['per-record checker s']:.2f} |")  # fmt: skip

        web = write_json_lines(web_text_like(500_000), work / "web.jsonl")
        row = run(READ_WEB_TEXT, web)
        print(f"\n500,000 web texts, JSON Lines ({web.stat().st_size / 1e6:.0f} MB), "
              f"read_web_text: {row['texts']:,} texts in {row['seconds']:.2f} s, "
              f"peak {row['peak MiB']:.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
