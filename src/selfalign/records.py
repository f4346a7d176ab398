"""Instruction records: read, check and normalise a pool file.

A pool is a JSON array (Alpaca, DiverseEvol) or JSON Lines (Dolly) of objects
with an instruction, an optional input and an output. Dolly's ``context`` and
``response`` are read as ``input`` and ``output``. Every record leaves with a
stable string ``id``: its own ``id`` field if it has one, else its position
in the file. Every error names the file and the line of the record.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

ALIASES = {"context": "input", "response": "output"}
TEXT_FIELDS = ("instruction", "input", "output")


class DataError(ValueError):
    """A pool file or one of its records cannot be used."""


@dataclass(frozen=True)
class Located:
    """A parsed JSON value with the 1-based line where it starts."""

    line: int
    value: object


def _line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _parse_array(path: Path, text: str) -> list[Located]:
    decoder = json.JSONDecoder()
    pos = text.index("[") + 1
    items: list[Located] = []
    try:
        while True:
            while pos < len(text) and text[pos] in " \t\r\n":
                pos += 1
            if text.startswith("]", pos):
                return items
            if items:
                if not text.startswith(",", pos):
                    raise json.JSONDecodeError("expected ',' or ']'", text, pos)
                pos += 1
                while pos < len(text) and text[pos] in " \t\r\n":
                    pos += 1
            value, end = decoder.raw_decode(text, pos)
            items.append(Located(_line_of(text, pos), value))
            pos = end
    except json.JSONDecodeError as err:
        raise DataError(
            f"{path}:{err.lineno}: not valid JSON ({err.msg}, column {err.colno})"
        ) from None


def _parse_lines(path: Path, text: str) -> list[Located]:
    items = []
    for number, line in enumerate(text.splitlines(), start=1):
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
    """Parse a JSON array or a JSON Lines file into located values."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise DataError(f"{path}: not UTF-8 text ({err.reason})") from None
    if text.lstrip().startswith("["):
        return _parse_array(path, text)
    return _parse_lines(path, text)


def _normalise(path: Path, item: Located, index: int) -> dict:
    where = f"{path}:{item.line}: record {index}"
    if not isinstance(item.value, dict):
        raise DataError(f"{where}: expected a JSON object, got {type(item.value).__name__}")
    record = {ALIASES.get(k, k): v for k, v in item.value.items()}
    for key in ("instruction", "output"):
        if key not in record:
            also = " (or 'response')" if key == "output" else ""
            raise DataError(f"{where}: missing field '{key}'{also}")
    record.setdefault("input", "")
    for key in TEXT_FIELDS:
        if not isinstance(record[key], str):
            raise DataError(
                f"{where}: field '{key}' must be a string, got {type(record[key]).__name__}"
            )
    if not record["instruction"].strip():
        raise DataError(f"{where}: field 'instruction' is empty")
    raw_id = record.pop("id", index)
    if not isinstance(raw_id, (str, int)) or isinstance(raw_id, bool):
        raise DataError(f"{where}: field 'id' must be a string or an integer")
    return {"id": str(raw_id), **{k: record.pop(k) for k in TEXT_FIELDS}, **record}


def load_pool(path: str | os.PathLike) -> list[dict]:
    """Read and check a pool file; raise DataError naming file and line."""
    path = Path(path)
    items = parse_json_records(path)
    if not items:
        raise DataError(f"{path}: the pool is empty; it needs at least one record")
    records, first_line = [], {}
    for index, item in enumerate(items):
        record = _normalise(path, item, index)
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
