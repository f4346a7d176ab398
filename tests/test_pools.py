"""Pools: every source format gives the same checked records, and every kind of
bad input is named by file (line, for JSON) and record."""

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from selfalign.data.pools import load_pool, prepare_pool, read_records
from selfalign.data.records import DataError, check_json_records
from selfalign.io import open_arrow, write_arrow

RECORDS = [
    {"instruction": "Add 2 and 3.", "input": "", "output": "5", "category": "math"},
    {"instruction": "Say hi.", "output": "Hi!"},
    {
        "id": "x7",
        "instruction": "Summarise.",
        "context": "Long.",
        "response": "Short.",
        "category": "summarization",
    },
]
CHECKED = [
    {"id": "0", "instruction": "Add 2 and 3.", "input": "", "output": "5", "category": "math"},
    {"id": "1", "instruction": "Say hi.", "input": "", "output": "Hi!"},
    {
        "id": "x7",
        "instruction": "Summarise.",
        "input": "Long.",
        "output": "Short.",
        "category": "summarization",
    },
]


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def as_columns(records):
    """The records as a table with every column (null where a record lacks one)."""
    names = list(dict.fromkeys(k for r in records for k in r))
    return pa.table({n: [r.get(n) for r in records] for n in names})


def sources(tmp_path, records):
    """The same records as a JSON array, JSON Lines, Parquet, a save_to_disk
    folder and a hub-style dataset folder (read by load_dataset, as a hub id is)."""
    import datasets

    array = write(tmp_path, "pool.json", json.dumps(records, indent=4))
    lines = write(tmp_path, "pool.jsonl", "".join(json.dumps(r) + "\n" for r in records))
    parquet = tmp_path / "pool.parquet"
    pq.write_table(as_columns(records), parquet)
    disk = tmp_path / "saved"
    datasets.Dataset(as_columns(records)).save_to_disk(str(disk))
    hub = tmp_path / "hub_repo" / "data"
    hub.mkdir(parents=True)
    pq.write_table(as_columns(records), hub / "train-00000-of-00001.parquet")
    return {
        "json array": {"path": str(array)},
        "json lines": {"path": str(lines)},
        "parquet": {"path": str(parquet)},
        "save_to_disk": {"path": str(disk)},
        "hub": {"hub": str(hub.parent), "split": "train"},
    }


def test_every_format_gives_the_records_the_per_record_checker_gives(tmp_path):
    found = sources(tmp_path, RECORDS)
    assert check_json_records(found["json array"]["path"]) == CHECKED
    for name, spec in found.items():
        assert load_pool(spec) == CHECKED, name


def test_fields_name_other_columns_and_ids_may_be_integers(tmp_path):
    rows = [{"uid": 10 + i, "question": f"Q{i}?", "answer": f"A{i}."} for i in range(3)]
    fields = {"id": "uid", "instruction": "question", "output": "answer"}
    expected = [{"id": str(10 + i), "instruction": f"Q{i}?", "input": "", "output": f"A{i}."}
                for i in range(3)]  # fmt: skip
    for name, spec in sources(tmp_path, rows).items():
        assert load_pool(spec | {"fields": fields}) == expected, name
    assert check_json_records(tmp_path / "pool.jsonl", fields) == expected
    with pytest.raises(DataError) as missing:
        load_pool({"path": str(tmp_path / "pool.parquet"), "fields": fields | {"output": "reply"}})
    assert str(missing.value) == (
        f"{tmp_path / 'pool.parquet'}: no column is read as 'output' (missing field 'output' "
        "(column 'reply')); its columns are ['uid', 'question', 'answer']: name the one to "
        "read in the dataset's fields, e.g. fields: {output: answer}"
    )


def test_a_prepared_pool_is_read_back_by_rows(tmp_path):
    table = prepare_pool({"path": str(write(tmp_path, "p.json", json.dumps(RECORDS)))})
    write_arrow(table, tmp_path / "pool.arrow")
    assert open_arrow(tmp_path / "pool.arrow", ["id"])["id"].to_pylist() == ["0", "1", "x7"]
    assert read_records(tmp_path / "pool.arrow", [2, 0]) == [CHECKED[2], CHECKED[0]]
    assert read_records(tmp_path / "pool.arrow") == CHECKED


GOOD = '{"instruction": "a", "output": "b"}'


BAD_JSON = {
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
    "empty instruction": (
        "blank.jsonl",
        f'{GOOD}\n\n{{"instruction": "  ", "output": "b"}}\n',
        "blank.jsonl:3: record 1: field 'instruction' is empty",
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


@pytest.mark.parametrize(("name", "text", "expected"), BAD_JSON.values(), ids=BAD_JSON)
def test_bad_json_names_file_line_and_record(tmp_path, name, text, expected):
    with pytest.raises(DataError) as err:
        load_pool(write(tmp_path, name, text))
    assert expected in str(err.value)


BAD_TABLES = {
    "no instruction": (
        [{"question": "a", "output": "b"}],
        "no column is read as 'instruction' (missing field 'instruction'); its columns are "
        "['question', 'output']: name the one to read in the dataset's fields, e.g. "
        "fields: {instruction: question}",
    ),
    "null output": (
        [{"instruction": "a", "output": "b"}, {"instruction": "c", "output": None}],
        "record 1: missing field 'output'",
    ),
    "non-string field": (
        [{"instruction": "a", "output": 5}],
        "record 0: field 'output' must be a string",
    ),
    "empty instruction": (
        [{"instruction": "a", "output": "b"}, {"instruction": " ", "output": "b"}],
        "record 1: field 'instruction' is empty",
    ),
    "duplicate ids": (
        [{"id": "k", "instruction": "a", "output": "b"}] * 2,
        "record 1: duplicate id 'k' (first seen in record 0)",
    ),
}


@pytest.mark.parametrize(("records", "expected"), BAD_TABLES.values(), ids=BAD_TABLES)
def test_bad_columnar_records_name_the_source_and_record(tmp_path, records, expected):
    for name, spec in sources(tmp_path, records).items():
        if name.startswith("json"):
            continue  # named with the line, above
        with pytest.raises(DataError) as err:
            load_pool(spec)
        where = spec.get("path") or f"{spec['hub']} (split train)"
        assert f"{where}: {expected}" in str(err.value), name


def test_a_byte_order_mark_is_read_past(tmp_path):
    from selfalign.data.testsets import load_testset

    good = tmp_path / "bom.json"
    good.write_text(json.dumps(RECORDS, indent=1), encoding="utf-8-sig")
    lines = tmp_path / "bom.jsonl"
    lines.write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8-sig")
    assert load_pool(good) == load_pool(lines) == CHECKED
    bad = tmp_path / "bad.json"
    bad.write_text(f'[\n {GOOD},\n {{"instruction": 3, "output": "b"}}\n]', encoding="utf-8-sig")
    with pytest.raises(DataError, match=r"bad.json:3: record 1: field 'instruction' must be"):
        load_pool(bad)
    questions = tmp_path / "questions.jsonl"
    questions.write_text('{"id": "q1", "instruction": "Why?"}\n', encoding="utf-8-sig")
    assert [q.id for q in load_testset(questions)] == ["q1"]
