"""One fine-tune job: one process on a CPU or a single GPU, else one process per
GPU (torchrun, and srun across nodes), as the job's resources shape it."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from selfalign.cluster.launch import JobShape, head_node, training_command
from selfalign.train.checkpoints import checkpoint_folder
from selfalign.train.finetune import finetune

log = logging.getLogger(__name__)


def run_finetune(spec: dict, records: list[dict], shape: JobShape) -> None:
    """``finetune(**spec, records=records)`` in this process or in ``shape``'s.

    ``spec`` holds ``finetune``'s other arguments; its checkpoints go beside the
    output (which Snakemake removes when a job fails), so a retry resumes.
    """
    out_dir = spec["out_dir"]
    spec = {**spec, "checkpoints": str(checkpoint_folder(out_dir))}
    if shape.world_size == 1:
        finetune(**spec, records=records)
        return
    # Every process reads the spec and its records from the shared file system.
    spec_path = Path(f"{out_dir}.launch.json")
    records_path = Path(f"{out_dir}.records.json")
    records_path.write_text(json.dumps(records, ensure_ascii=False))
    spec_path.write_text(json.dumps(spec | {"records": str(records_path)}))
    nodes = {}
    if shape.nodes > 1:  # one torchrun per node, meeting on the first
        nodes = {"rendezvous": f"{head_node()}:29500", "job_id": os.environ["SLURM_JOB_ID"]}
    command = training_command(shape, [str(spec_path)], **nodes)
    log.info("launching %s", " ".join(command))
    try:
        subprocess.run(command, check=True, stdout=sys.stdout, stderr=sys.stderr)
    finally:
        spec_path.unlink()
        records_path.unlink()
