"""Read the records of a wandb offline run (``run-*.wandb``) for assertions.

The file is a LevelDB-style log: a 7-byte header (``:W&B``, magic, version),
then 32 KiB blocks of chunks, each with a 7-byte header (CRC32, length, type:
1 full, 2 first, 3 middle, 4 last); a chunk never spans blocks, and a block
tail shorter than a header is padding. Every record is a ``wandb.proto`` Record.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

BLOCK = 32768
HEADER = 7


def records(path: Path):
    from wandb.proto import wandb_internal_pb2

    data = path.read_bytes()
    assert data[:4] == b":W&B", f"{path}: not a wandb run file"
    offset, pending = HEADER, b""
    while offset + HEADER <= len(data):
        left_in_block = BLOCK - offset % BLOCK
        if left_in_block < HEADER:
            offset += left_in_block
            continue
        _, length, kind = struct.unpack("<IHB", data[offset : offset + HEADER])
        chunk = data[offset + HEADER : offset + HEADER + length]
        offset += HEADER + length
        if kind in (1, 2):
            pending = chunk
        else:
            pending += chunk
        if kind in (1, 4):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            yield record


def offline_run(folder: Path) -> dict:
    """Name, group, project and logged history (step -> values) of one offline run."""
    (path,) = folder.glob("run-*.wandb")
    run, history = {}, {}
    for record in records(path):
        kind = record.WhichOneof("record_type")
        if kind == "run":
            run = {"name": record.run.display_name, "group": record.run.run_group}
            run["project"] = record.run.project
        elif kind == "history":
            items = {
                item.key or "/".join(item.nested_key): json.loads(item.value_json)
                for item in record.history.item
            }
            step = record.history.step.num if record.history.HasField("step") else None
            history[items.get("_step", step)] = items
    return run | {"history": history}
