"""Files this workflow writes: complete or not at all, as JSON, JSON Lines or Arrow."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike):
    """Yield a temporary sibling of ``path``; rename it to ``path`` on success.

    Works for files and directories. A crash (or SIGKILL) leaves at most a
    ``.tmp`` sibling, never a ``path`` that looks complete; a stale one from
    an earlier crash is removed first. The sibling keeps the suffix
    (``x.tmp.png``) so that writers which infer a format from it still work.
    """
    final = Path(path)
    tmp = final.with_name(f"{final.stem}.tmp{final.suffix}")
    _remove(tmp)
    final.parent.mkdir(parents=True, exist_ok=True)
    try:
        yield tmp
    except BaseException:
        _remove(tmp)
        raise
    _remove(final)
    os.replace(tmp, final)


def is_main_process() -> bool:
    """Rank 0 of a torchrun job, or a job that is not distributed."""
    return int(os.environ.get("RANK", "0")) == 0


@contextlib.contextmanager
def main_process_output(path: str | os.PathLike):
    """``atomic_output`` on rank 0; other ranks get the same temporary path and
    must not write to it (they neither create, move nor wait for files)."""
    if is_main_process():
        with atomic_output(path) as tmp:
            yield tmp
    else:
        final = Path(path)
        yield final.with_name(f"{final.stem}.tmp{final.suffix}")


def write_json(records, path: str | os.PathLike) -> None:
    """Write ``records`` as an indented JSON document, atomically."""
    with atomic_output(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        json.dump(records, f, ensure_ascii=False, indent=1)
        f.write("\n")


def read_jsonl(path: str | os.PathLike) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write_jsonl(records, path: str | os.PathLike) -> None:
    """One JSON object per line, atomically."""
    with atomic_output(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def write_arrow(table, path: str | os.PathLike) -> None:
    """Write a pyarrow table as an Arrow IPC file, atomically."""
    import pyarrow as pa

    with (
        atomic_output(path) as tmp,
        pa.OSFile(str(tmp), "wb") as sink,
        pa.ipc.new_file(sink, table.schema) as writer,
    ):
        writer.write_table(table, max_chunksize=65536)


def open_arrow(path: str | os.PathLike, columns: list[str] | None = None):
    """An Arrow IPC file, memory-mapped: rows and columns are read when used."""
    import pyarrow as pa

    table = pa.ipc.open_file(pa.memory_map(str(path))).read_all()
    return table.select(columns) if columns else table
