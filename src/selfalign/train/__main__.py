"""Training entry point for one process of a (maybe distributed) fine-tune job.

    python -m selfalign.train spec.json
    torchrun --nproc_per_node 4 -m selfalign.train spec.json

``spec.json`` holds the keyword arguments of ``selfalign.train.finetune.finetune``,
with ``records`` given as the path of a JSON file of records.
"""

from __future__ import annotations

import json
import logging
import sys

from selfalign.data.records import read_json
from selfalign.train.finetune import finetune


def main(argv: list[str] | None = None) -> None:
    (spec_path,) = argv if argv is not None else sys.argv[1:]
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    with open(spec_path, encoding="utf-8") as f:
        spec = json.load(f)
    spec["records"] = read_json(spec["records"])
    finetune(**spec)


if __name__ == "__main__":
    main()
