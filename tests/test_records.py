"""Pool files: formats read, and every kind of bad input named by file and line."""

import json

import pytest

from selfalign.records import DataError, load_pool


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_alpaca_array_gets_positional_ids_and_keeps_extra_fields(tmp_path):
    records = [
        {"instruction": "Add 2 and 3.", "input": "", "output": "5", "category": "math"},
        {"instruction": "Say hi.", "output": "Hi!"},
    ]
    path = write(tmp_path, "pool.json", json.dumps(records, indent=2))
    pool = load_pool(path)
    assert [r["id"] for r in pool] == ["0", "1"]
    assert pool[0]["category"] == "math"
    assert pool[1]["input"] == ""


def test_dolly_jsonl_fields_are_mapped(tmp_path):
    line = {
        "instruction": "Summarise.",
        "context": "Long text.",
        "response": "Short.",
        "category": "summarization",
    }
    pool = load_pool(write(tmp_path, "dolly.jsonl", json.dumps(line) + "\n"))
    assert pool == [
        {
            "id": "0",
            "instruction": "Summarise.",
            "input": "Long text.",
            "output": "Short.",
            "category": "summarization",
        }
    ]


GOOD = '{"instruction": "a", "output": "b"}'


BAD_POOLS = {
    "not JSON": (
        "broken.json",
        f'[\n {GOOD},\n {{"instruction": "x",,}}\n]',
        "broken.json:3: not valid JSON",
    ),
    "not JSON Lines": (
        "broken.jsonl",
        f"{GOOD}\n{GOOD}\nnot json\n",
        "broken.jsonl:3: not valid JSON",
    ),
    "no instruction": (
        "noinst.json",
        f'[\n {GOOD},\n {{"output": "b"}}\n]',
        "noinst.json:3: record 1: missing field 'instruction'",
    ),
    "no output": (
        "noout.jsonl",
        '{"instruction": "a"}\n',
        "noout.jsonl:1: record 0: missing field 'output'",
    ),
    "non-string field": (
        "type.json",
        f'[{GOOD},\n{GOOD},\n{{"instruction": "a", "output": 5}}]',
        "type.json:3: record 2: field 'output' must be a string, got int",
    ),
    "duplicate ids": (
        "dup.jsonl",
        '{"id": 7, "instruction": "a", "output": "b"}\n'
        '{"id": "7", "instruction": "c", "output": "d"}\n',
        "dup.jsonl:2: record 1: duplicate id '7' (first seen on line 1)",
    ),
    "empty pool": ("empty.json", "[]", "empty.json: the pool is empty"),
    "not an object": (
        "notobj.json",
        '["just a string"]',
        "notobj.json:1: record 0: expected a JSON object",
    ),
}


@pytest.mark.parametrize(("name", "text", "expected"), BAD_POOLS.values(), ids=BAD_POOLS)
def test_bad_input_names_file_line_and_record(tmp_path, name, text, expected):
    with pytest.raises(DataError) as err:
        load_pool(write(tmp_path, name, text))
    assert expected in str(err.value)
