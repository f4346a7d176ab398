"""Exported datasets, cards and pushes: the files as written, and what a push sends."""

import json

import pyarrow.parquet as pq
import pytest
import yaml

from selfalign.cli import push as push_command
from selfalign.export import (
    as_messages,
    dataset_card,
    model_card,
    push,
    subset_summary,
    uploads,
    write_subset,
)

RECORDS = [
    {"id": "7", "instruction": "Add.", "input": "2 and 3", "output": "5", "category": "arithmetic"},
    {"id": "9", "instruction": "Name a colour.", "output": "Red.", "system": "Be brief."},
]


def test_a_subset_is_parquet_in_messages_and_alpaca_form(tmp_path):
    write_subset(RECORDS, tmp_path / "data/rd_0/train.parquet")
    rows = pq.read_table(tmp_path / "data/rd_0/train.parquet").to_pylist()
    assert [r["id"] for r in rows] == ["7", "9"]
    assert rows[0]["messages"] == [
        {"role": "user", "content": "Add.\n\n2 and 3"},
        {"role": "assistant", "content": "5"},
    ]
    assert rows[1]["messages"][0] == {"role": "system", "content": "Be brief."}
    assert [(r["instruction"], r["input"], r["output"]) for r in rows] == [
        ("Add.", "2 and 3", "5"),
        ("Name a colour.", "", "Red."),
    ]
    assert rows[0]["category"] == "arithmetic" and as_messages(RECORDS[1])[-1]["content"] == "Red."


def test_cards_say_what_the_data_and_models_are():
    summaries = {"rd_0": subset_summary(RECORDS[:1]), "rd_1": subset_summary(RECORDS)}
    card = dataset_card("kc_demo", "DiverseEvol", {"strategy": "kcenter"}, summaries, {"rd_1": 2.5})
    header = yaml.safe_load(card.split("---\n")[1])
    assert [c["config_name"] for c in header["configs"]] == ["rd_0", "rd_1"]
    assert header["configs"][1]["data_files"] == [
        {"split": "train", "path": "data/rd_1/train.parquet"}
    ]
    assert "| rd_1 | 2 | arithmetic 1 | 2.500 |" in card and '"strategy": "kcenter"' in card
    card = model_card("kc rd_1", "meta-llama/Llama-2-7b-hf", "rd_1", "rd_1", {"lr": 1e-5},
                      {"RS koala vs chat": 0.62, "Win koala vs rd0": float("nan")})  # fmt: skip
    assert yaml.safe_load(card.split("---\n")[1])["base_model"] == "meta-llama/Llama-2-7b-hf"
    assert "| RS koala vs chat | 0.6200 |" in card and "Win koala" not in card


class RecordingHub:
    """A stand-in for huggingface_hub.HfApi, which this machine cannot reach: it
    records the calls a push makes."""

    def __init__(self):
        self.calls = []

    def create_repo(self, repo_id, **options):
        self.calls.append(("create_repo", repo_id, options))

    def upload_folder(self, **options):
        self.calls.append(("upload_folder", options["repo_id"], options))


@pytest.fixture
def export_folder(tmp_path):
    folder = tmp_path / "results/kc/export"
    (folder / "dataset").mkdir(parents=True)
    (folder / "model_cards/rd_1").mkdir(parents=True)
    plan = {
        "dataset_repo": "me/kc-data",
        "models": {
            "rd_0": {"repo_id": "", "folder": "results/kc/output/rd_0"},
            "rd_1": {"repo_id": "me/kc-rd_1", "folder": "results/kc/output/rd_1"},
        },
    }
    (folder / "push.json").write_text(json.dumps(plan))
    return folder


def test_a_push_sends_the_dataset_and_each_named_model_with_its_card(export_folder):
    hub = RecordingHub()
    done = push(export_folder, api=hub)
    assert done == uploads(export_folder)
    created = [(call[1], call[2]["repo_type"], call[2]["private"]) for call in hub.calls
               if call[0] == "create_repo"]  # fmt: skip
    assert created == [("me/kc-data", "dataset", True), ("me/kc-rd_1", "model", True)]
    uploaded = [
        (call[1], call[2]["folder_path"]) for call in hub.calls if call[0] == "upload_folder"
    ]
    assert uploaded == [
        ("me/kc-data", str(export_folder / "dataset")),
        ("me/kc-rd_1", "results/kc/output/rd_1"),  # rd_0 has no repository: not pushed
        ("me/kc-rd_1", str(export_folder / "model_cards/rd_1")),
    ]


def test_the_push_command_lists_its_uploads_in_a_dry_run(export_folder, tmp_path, capsys):
    assert push_command([str(export_folder), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.count("would upload") == 2 and "-> dataset me/kc-data" in out
    with pytest.raises(SystemExit):
        push_command([str(tmp_path), "--dry-run"])
    assert "no push.json; run `snakemake export` first" in capsys.readouterr().err
