"""Tokenising for SFT, embedding and fine-tuning, on a tiny model built here."""

import numpy as np
import pytest
import torch

from selfalign.diverse_evol.embedding import (
    TOKEN_SCORES,
    embed_records,
    pool_features,
)
from selfalign.diverse_evol.pool_pass import run_pool_pass, shard_indices
from selfalign.models.encoding import (
    encode_example,
    encode_prompts,
    iter_examples,
    length_sorted_batches,
)
from selfalign.models.loading import load_body, load_causal_lm, load_tokenizer
from selfalign.models.prompts import PROMPT_FORMATS
from selfalign.train.finetune import finetune


def test_batched_encoding_equals_one_record_at_a_time(tiny_model_dir, demo_records):
    tokenizer = load_tokenizer(tiny_model_dir)
    records = [*demo_records, {"instruction": "Ünïcode — ok?", "input": "", "output": ""}]
    for prompt_format in PROMPT_FORMATS:
        batched = list(iter_examples(tokenizer, records, 40, prompt_format))
        alone = [encode_example(tokenizer, r, 40, prompt_format) for r in records]
        assert batched == alone
        assert list(iter_examples(tokenizer, records, 40, prompt_format, chunk=7)) == batched
        prompts = encode_prompts(tokenizer, records, prompt_format)
        for prompt, example in zip(prompts, batched, strict=True):
            assert example["input_ids"][: len(prompt)] == prompt[:40]
            n = min(len(prompt), 40)
            assert example["completion_mask"] == [0] * n + [1] * (len(example["input_ids"]) - n)


def test_length_sorted_batches_cover_every_record_once():
    lengths = [5, 9, 1, 9, 3, 7, 2]
    batches = length_sorted_batches(lengths, 3)
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(7))
    assert [lengths[i] for i in flat] == sorted(lengths, reverse=True)


def test_batched_embedding_equals_each_record_alone(tiny_model_dir, demo_records):
    body = load_body(tiny_model_dir)
    tokenizer = load_tokenizer(tiny_model_dir)
    records = demo_records[:24]
    batched = embed_records(body, tokenizer, records, max_length=128, batch_size=8)
    alone = np.stack(
        [
            embed_records(body, tokenizer, [r], max_length=128, batch_size=1, progress=False)[0]
            for r in records
        ]
    )
    lengths = {len(encode_example(tokenizer, r, 128)["input_ids"]) for r in records}
    assert len(lengths) > 1, "records of one length would not exercise padding"
    assert batched.shape == (24, body.config.hidden_size)
    np.testing.assert_allclose(batched, alone, rtol=0, atol=1e-5)


def test_token_scores_are_the_lm_next_token_distributions(tiny_model_dir, demo_records):
    model = load_causal_lm(tiny_model_dir).eval()
    tokenizer = load_tokenizer(tiny_model_dir)
    records = demo_records[:12]
    options = {"max_length": 128, "lm_head": model.get_output_embeddings(), "progress": False}
    batched = pool_features(model.base_model, tokenizer, records, batch_size=5, **options)
    for i, record in enumerate(records):
        ids = torch.tensor([encode_example(tokenizer, record, 128)["input_ids"]])
        with torch.no_grad():
            logits = model(input_ids=ids).logits[0].double()
        probs = torch.softmax(logits, -1)
        top2, top2_probs = logits.topk(2, -1).values, probs.topk(2, -1).values
        expected = {  # the release's definitions: raw logits, mean over the tokens
            "mean_max_logit": top2[:, 0].mean(),
            "mean_logit_margin": (top2[:, 0] - top2[:, 1]).mean(),
            "mean_max_prob": top2_probs[:, 0].mean(),
            "mean_prob_margin": (top2_probs[:, 0] - top2_probs[:, 1]).mean(),
            "mean_entropy": -(probs * probs.log()).sum(-1).mean(),
        }
        for name in TOKEN_SCORES:
            assert batched[name][i] == pytest.approx(expected[name].item(), rel=1e-4), name
    assert batched["mean_max_prob"].std() > 0  # records differ


def test_pool_sharded_over_devices_merges_in_record_order(tiny_model_dir, demo_records):
    records = demo_records[:30]
    shards = shard_indices(records, 3)
    assert sorted(np.concatenate(shards).tolist()) == list(range(30))
    options = {"dtype": "float32", "max_length": 128, "batch_size": 4, "progress": False}
    alone = run_pool_pass(
        str(tiny_model_dir), records, devices=["cpu"], token_scores=True, **options
    )
    sharded = run_pool_pass(
        str(tiny_model_dir), records, devices=["cpu", "cpu"], token_scores=True, **options
    )
    assert set(sharded) == {"embeddings", *TOKEN_SCORES}
    for name, values in alone.items():
        np.testing.assert_allclose(sharded[name], values, rtol=0, atol=1e-5, err_msg=name)


def test_finetune_writes_a_loadable_model_from_the_base(tiny_model_dir, demo_records, tmp_path):
    before = load_causal_lm(tiny_model_dir).state_dict()
    out = tmp_path / "rd_0"
    finetune(
        str(tiny_model_dir),
        demo_records[:16],
        out,
        max_length=96,
        seed=1,
        training={"num_train_epochs": 1, "learning_rate": 1e-2, "per_device_train_batch_size": 8},
    )
    tuned = load_causal_lm(out)
    assert load_tokenizer(out).get_vocab() == load_tokenizer(tiny_model_dir).get_vocab()
    assert not torch.equal(tuned.state_dict()["lm_head.weight"], before["lm_head.weight"])
    assert torch.equal(
        load_causal_lm(tiny_model_dir).state_dict()["lm_head.weight"], before["lm_head.weight"]
    )
    assert not (tmp_path / "rd_0.tmp").exists()


def test_unknown_training_argument_is_named_by_its_config_key(
    tiny_model_dir, demo_records, tmp_path
):
    with pytest.raises(ValueError, match=r"config key training\.learning_rat:"):
        finetune(
            str(tiny_model_dir),
            demo_records[:4],
            tmp_path / "m",
            max_length=64,
            seed=0,
            training={"learning_rat": 1e-3},
        )
    assert not (tmp_path / "m").exists()


def _completion_loss(model_dir, records) -> float:
    """Mean loss on the answers of ``records``, prompted in the chat template."""
    model, tokenizer = load_causal_lm(model_dir).eval(), load_tokenizer(model_dir)
    losses = []
    with torch.no_grad():
        for example in iter_examples(tokenizer, records, 128, "chat_template"):
            if 1 not in example["completion_mask"]:
                continue  # the answer lies beyond max_length
            ids = torch.tensor([example["input_ids"]])
            labels = ids.masked_fill(torch.tensor([example["completion_mask"]]) == 0, -100)
            losses.append(model(input_ids=ids, labels=labels).loss.item())
    return float(np.mean(losses))


def test_pretraining_teaches_the_terse_answers_and_leaves_the_held_out_questions(
    tiny_model_dir, demo_records, tmp_path
):
    from selfalign.data.demo import generate_pretraining_records
    from selfalign.train.tiny_model import pretrain

    held_out = demo_records[:40]
    training = {"num_train_epochs": 1, "per_device_train_batch_size": 32, "learning_rate": 3e-3}
    pretrain(
        tiny_model_dir, tmp_path, held_out=held_out, n_records=640, seed=0, max_length=96,
        training=training,
    )  # fmt: skip
    probe = generate_pretraining_records(64, seed=1, exclude=held_out)
    assert _completion_loss(tmp_path, probe) < _completion_loss(tiny_model_dir, probe) - 0.5
