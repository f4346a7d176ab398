"""Instruction pools: read a source once, check every record, keep one Arrow file.

A source is a JSON array (Alpaca), JSON Lines (Dolly), a Parquet file, a
``save_to_disk`` folder or a hub dataset; Hugging Face ``datasets`` reads them
all. The checked pool is an Arrow IPC file with the columns ``id``,
``instruction``, ``input`` and ``output`` (then any others the source has),
which jobs open memory-mapped, reading only the columns and rows they use.
Beside it, ``selfalign.data.pool_meta``'s sidecar gives the record count, so that
planning can check a selection budget without opening the pool.

Checks run on whole columns. A fault in a JSON source is reported by
``selfalign.data.records``' per-record checker, which names the line: it runs only
when a check has failed, or when ``datasets`` cannot read the file at all.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from selfalign.data.records import (
    KNOWN_FIELDS,
    TEXT_FIELDS,
    DataError,
    check_json_records,
    missing_field,
    source_fields,
)
from selfalign.io import open_arrow


def describe_source(spec: dict) -> str:
    """How a source is named in messages: its path, or hub id and split."""
    if "hub" in spec:
        return f"{spec['hub']} (split {spec.get('split', 'train')})"
    return str(spec["path"])


def _is_json(spec: dict) -> bool:
    """A local file read as JSON (an array or JSON Lines): any file but Parquet."""
    return "path" in spec and Path(spec["path"]).is_file() and not _is_parquet(spec)


def _is_parquet(spec: dict) -> bool:
    return Path(spec["path"]).suffix == ".parquet"


def _dataset_split(loaded, spec: dict):
    """A DatasetDict's split named in ``spec`` (default ``train``); a Dataset as it is."""
    import datasets

    if not isinstance(loaded, datasets.DatasetDict):
        return loaded
    split = spec.get("split", "train")
    if split not in loaded:
        raise DataError(
            f"{describe_source(spec)}: no split {split!r} (it has {sorted(loaded)}); "
            f"set the dataset's 'split'"
        )
    return loaded[split]


def read_source(spec: dict, cache_dir: str) -> pa.Table:
    """The source as one Arrow table, read by ``datasets``.

    Local files are converted in ``cache_dir`` (a scratch folder); hub datasets
    use the user's Hugging Face cache, like any ``load_dataset`` call.
    """
    import datasets

    datasets.disable_progress_bars()
    if "hub" in spec:
        loaded = datasets.load_dataset(
            spec["hub"], spec.get("subset"), split=spec.get("split", "train"),
            revision=spec.get("revision"),
        )  # fmt: skip
    else:
        path = Path(spec["path"])
        if not path.exists():
            raise DataError(f"{path}: no such file or folder")
        if path.is_dir():
            loaded = _dataset_split(datasets.load_from_disk(str(path)), spec)
        else:
            builder = "parquet" if _is_parquet(spec) else "json"
            # A file datasets cannot read is reported by this module, with its line.
            datasets.logging.set_verbosity(datasets.logging.CRITICAL)
            loaded = datasets.load_dataset(
                builder, data_files=str(path), split="train", cache_dir=cache_dir
            )
    return loaded.with_format("arrow")[:]


def _is_text_type(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t)


def _first(mask) -> int:
    """Index of the first true value of a boolean array, or -1."""
    return pc.index(pc.fill_null(mask, False), True).as_py()


class Fault(Exception):
    """A check failed at ``index``; ``message`` says what (without file or line)."""

    def __init__(self, index: int, message: str):
        super().__init__(message)
        self.index, self.message = index, message


def _source_column(table: pa.Table, field: str, fields: dict | None) -> pa.ChunkedArray | None:
    """The column read as ``field``: where records use either of two names
    (Dolly's alias), each row's first present value."""
    names = source_fields(field, table.column_names, fields)
    if not names:
        return None
    columns = [table[name] for name in names]
    if len(columns) > 1 and all(_is_text_type(c.type) for c in columns):
        return pc.coalesce(*columns)
    return columns[0]


def _text_column(table: pa.Table, field: str, fields: dict | None) -> pa.ChunkedArray | None:
    column = _source_column(table, field, fields)
    if column is None:
        if field == "input":
            return None
        found = table.column_names
        taken = set((fields or {}).values()) | set(KNOWN_FIELDS)
        free = [c for c in found if c not in taken] or ["COLUMN"]
        raise Fault(
            -1,
            f"no column is read as '{field}' ({missing_field(field, fields)}); its columns are "
            f"{found}: name the one to read in the dataset's fields, e.g. "
            f"fields: {{{field}: {free[0]}}}",
        )
    if field != "input" and column.null_count:
        raise Fault(_first(pc.is_null(column)), missing_field(field, fields))
    if not _is_text_type(column.type) and not pa.types.is_null(column.type):
        at = _first(pc.is_valid(column))
        raise Fault(max(at, 0), f"field '{field}' must be a string, got {column.type}")
    return column


def _id_column(table: pa.Table, fields: dict | None):
    """The records' own ids as text; a record without one gets its position."""
    column = _source_column(table, "id", fields)
    if column is None or pa.types.is_null(column.type):
        return _positions(table.num_rows)
    if not (pa.types.is_integer(column.type) or _is_text_type(column.type)):
        raise Fault(_first(pc.is_valid(column)), "field 'id' must be a string or an integer")
    column = pc.cast(column, pa.string())
    if column.null_count:
        column = pc.if_else(pc.is_null(column), _positions(table.num_rows), column)
    return column


def _positions(n: int) -> pa.Array:
    return pa.array([str(i) for i in range(n)], pa.string())


def check_table(table: pa.Table, fields: dict | None = None) -> pa.Table:
    """The checked pool: ``id``, the text fields, then the source's other columns.

    Raises ``Fault`` at the first record that fails a check.
    """
    if table.num_rows == 0:
        raise Fault(-1, "the pool is empty; it needs at least one record")
    columns = {"id": _id_column(table, fields)}
    for field in TEXT_FIELDS:
        columns[field] = _text_column(table, field, fields)
    if columns["input"] is None or pa.types.is_null(columns["input"].type):
        columns["input"] = pa.chunked_array([pa.array([""] * table.num_rows, pa.string())])
    columns["input"] = pc.fill_null(columns["input"], "")
    blank = pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(columns["instruction"])), 0)
    if pc.any(blank).as_py():
        raise Fault(_first(blank), "field 'instruction' is empty")
    ids = columns["id"]
    if pc.count_distinct(ids).as_py() < table.num_rows:
        seen: dict[str, int] = {}
        for index, value in enumerate(ids.to_pylist()):
            if value in seen:
                raise Fault(index, f"duplicate id {value!r} (first seen in record {seen[value]})")
            seen[value] = index
    used = {name for f in KNOWN_FIELDS for name in source_fields(f, table.column_names, fields)}
    extra = [c for c in table.column_names if c not in used and c not in KNOWN_FIELDS]
    names = [*columns, *extra]
    return pa.table([*columns.values(), *(table[c] for c in extra)], names=names)


def _report(spec: dict, fault: Fault) -> DataError:
    """The error for a failed check: from the per-record checker for JSON (with
    the line), else with the record index."""
    fields = spec.get("fields")
    if _is_json(spec):
        check_json_records(spec["path"], fields)  # raises with the line
    where = describe_source(spec) + (f": record {fault.index}" if fault.index >= 0 else "")
    return DataError(f"{where}: {fault.message}")


def prepare_pool(spec: dict) -> pa.Table:
    """Read a source and check every record; raise DataError naming the record."""
    fields = spec.get("fields")
    with tempfile.TemporaryDirectory(prefix="pool-cache-") as cache:
        try:
            table = read_source(spec, cache)
        except DataError:
            raise
        except Exception as err:  # datasets could not read it: say why, and where
            if not _is_json(spec):
                raise DataError(f"{describe_source(spec)}: cannot be read ({err})") from err
            records = check_json_records(spec["path"], fields)
            try:
                table = pa.Table.from_pylist(records)
            except pa.ArrowException as mixed:
                raise DataError(
                    f"{spec['path']}: {mixed} (a field with values of mixed types)"
                ) from None
        table = table.slice(0, spec.get("first"))
        try:
            checked = check_table(table, fields)
        except Fault as fault:
            raise _report(spec, fault) from None
        return _own_copy(checked)


def _own_copy(table: pa.Table) -> pa.Table:
    """The table in buffers of its own (the scratch folder it was read from goes),
    text with 64-bit offsets so that a column may hold more than 2 GB."""
    schema = pa.schema(
        field.with_type(pa.large_string()) if _is_text_type(field.type) else field
        for field in table.schema
    )
    return table.cast(schema).combine_chunks()


def to_records(table: pa.Table) -> list[dict]:
    """Rows as record dicts; a column the source lacked for a row stays absent."""
    records = table.to_pylist()
    extra = [c for c in table.column_names if c not in KNOWN_FIELDS]
    if extra and any(table[c].null_count for c in extra):
        for record in records:
            for name in extra:
                if record[name] is None:
                    del record[name]
    return records


def read_records(path: str | os.PathLike, rows=None) -> list[dict]:
    """A prepared pool's records, all of them or those at ``rows`` (in that order)."""
    table = open_arrow(path)
    if rows is not None:
        table = table.take(pa.array(rows, pa.int64()))
    return to_records(table)


def load_pool(source: str | os.PathLike | dict) -> list[dict]:
    """Read and check a source (a path or a dataset spec) into record dicts."""
    spec = source if isinstance(source, dict) else {"path": str(source)}
    return to_records(prepare_pool(spec))
