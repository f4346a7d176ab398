"""Instruction records in JSON files: parse, check and normalise one by one.

A JSON pool is an array (Alpaca, DiverseEvol) or JSON Lines (Dolly) of objects
with an instruction, an optional input and an output. Dolly's ``context`` and
``response`` are read as ``input`` and ``output``; ``fields`` names other
source columns. Every record leaves with a stable string ``id``: its own
``id`` field if it has one, else its position. Every error names the file and
the line of the record.

``selfalign.data.pools`` checks whole pools column by column; it comes here only
to report a fault of a JSON source, so this is the one place that turns a
record index into a line.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

TEXT_FIELDS = ("instruction", "input", "output")
KNOWN_FIELDS = ("id", *TEXT_FIELDS)
ALIASES = {"input": "context", "output": "response"}  # field: Dolly's name for it


class DataError(ValueError):
    """A pool file or one of its records cannot be used."""


@dataclass(frozen=True)
class Located:
    """A parsed JSON value with the 1-based line where it starts."""

    line: int
    value: object


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _parse_array(path: Path, text: str) -> list[Located]:
    """The items of a JSON array; lines are counted once, from item to item."""
    decoder = json.JSONDecoder()
    pos = _skip_space(text, text.index("[") + 1)
    line, counted = 1, 0  # ``line`` is the line of text[counted]
    items: list[Located] = []
    try:
        while not text.startswith("]", pos):
            if items:
                if not text.startswith(",", pos):
                    raise json.JSONDecodeError("expected ',' or ']'", text, pos)
                pos = _skip_space(text, pos + 1)
            value, end = decoder.raw_decode(text, pos)
            line += text.count("\n", counted, pos)
            counted = pos
            items.append(Located(line, value))
            pos = _skip_space(text, end)
        return items
    except json.JSONDecodeError as err:
        raise DataError(
            f"{path}:{err.lineno}: not valid JSON ({err.msg}, column {err.colno})"
        ) from None


def _parse_lines(path: Path, lines) -> list[Located]:
    items = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            items.append(Located(number, json.loads(line)))
        except json.JSONDecodeError as err:
            raise DataError(
                f"{path}:{number}: not valid JSON ({err.msg}, column {err.colno})"
            ) from None
    return items


def parse_json_records(path: str | os.PathLike) -> list[Located]:
    """Parse a JSON array or a JSON Lines file into located values.

    JSON Lines are read line by line: memory holds the values, not the text too.
    A byte-order mark (Windows tools write one) is skipped.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    try:
        with path.open(encoding="utf-8-sig") as f:
            while (first := f.read(1)).isspace():
                pass
            f.seek(0)
            if first == "[":
                return _parse_array(path, f.read())
            return _parse_lines(path, f)
    except UnicodeDecodeError as err:
        raise DataError(f"{path}: not UTF-8 text ({err.reason})") from None


def source_fields(field: str, columns, fields: dict | None = None) -> list[str]:
    """The source columns read as ``field``, first present first: the one
    ``fields`` names, else the field itself and its Dolly alias."""
    names = [fields[field]] if fields and field in fields else [field, ALIASES.get(field)]
    return [name for name in names if name in columns]


def missing_field(field: str, fields: dict | None = None) -> str:
    if fields and field in fields:
        return f"missing field '{field}' (column '{fields[field]}')"
    also = f" (or '{ALIASES[field]}')" if field in ALIASES else ""
    return f"missing field '{field}'{also}"


def _normalise(path: Path, item: Located, index: int, fields: dict | None) -> dict:
    where = f"{path}:{item.line}: record {index}"
    if not isinstance(item.value, dict):
        raise DataError(f"{where}: expected a JSON object, got {type(item.value).__name__}")
    value = item.value
    record, used = {}, set()
    for field in KNOWN_FIELDS:
        names = source_fields(field, value, fields)
        present = [value[name] for name in names if value[name] is not None]
        if present:
            record[field] = present[0]
        used.update(names)
    for field in ("instruction", "output"):
        if field not in record:
            raise DataError(f"{where}: {missing_field(field, fields)}")
    record.setdefault("input", "")
    for field in TEXT_FIELDS:
        if not isinstance(record[field], str):
            raise DataError(
                f"{where}: field '{field}' must be a string, got {type(record[field]).__name__}"
            )
    if not record["instruction"].strip():
        raise DataError(f"{where}: field 'instruction' is empty")
    raw_id = record.pop("id", index)
    if not isinstance(raw_id, (str, int)) or isinstance(raw_id, bool):
        raise DataError(f"{where}: field 'id' must be a string or an integer")
    extra = {k: v for k, v in value.items() if k not in used and k not in KNOWN_FIELDS}
    return {"id": str(raw_id), **{k: record[k] for k in TEXT_FIELDS}, **extra}


def check_json_records(path: str | os.PathLike, fields: dict | None = None) -> list[dict]:
    """Read and check a JSON pool record by record; raise DataError naming file and line."""
    path = Path(path)
    items = parse_json_records(path)
    if not items:
        raise DataError(f"{path}: the pool is empty; it needs at least one record")
    records, first_line = [], {}
    for index, item in enumerate(items):
        record = _normalise(path, item, index, fields)
        if record["id"] in first_line:
            raise DataError(
                f"{path}:{item.line}: record {index}: duplicate id {record['id']!r} "
                f"(first seen on line {first_line[record['id']]})"
            )
        first_line[record["id"]] = item.line
        records.append(record)
    return records


def read_json(path: str | os.PathLike) -> list[dict]:
    """Read a file this workflow wrote (no checks beyond JSON)."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)
