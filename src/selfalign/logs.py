"""Send a job's output, warnings and progress bars to its log file."""

from __future__ import annotations

import logging
import sys


def log_to(path: str) -> None:
    """Route stdout, stderr (tqdm) and ``logging`` of this process into ``path``."""
    stream = open(path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 - lives as long as the job
    sys.stdout = sys.stderr = stream
    logging.basicConfig(
        stream=stream,
        level=logging.INFO,
        force=True,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
