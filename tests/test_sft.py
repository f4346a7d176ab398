"""Fine-tuning with TRL's SFTTrainer: which tokens carry loss, in both prompt formats,
packing without attention across examples, and LoRA rounds merged into a model."""

import pytest
import torch

from selfalign.humback import (
    RELEASE_AUGMENTED_SYSTEM,
    RELEASE_BACKWARD_SYSTEM,
    RELEASE_SEED_SYSTEM,
    SEED_TAG,
    backward_prompt,
    backward_record,
    forward_record,
)
from selfalign.models.encoding import encode_example, encode_prompts
from selfalign.models.loading import load_body, load_causal_lm, load_tokenizer
from selfalign.models.prompts import alpaca_prompt, chat_messages
from selfalign.train.finetune import finetune, sft_config, sft_trainer, training_examples

IGNORE_INDEX = -100


def trainer_labels(model_dir, records, tmp_path, prompt_format="alpaca", **training):
    """The examples SFTTrainer trains on: its own labels, built from our masks."""
    tokenizer = load_tokenizer(model_dir)
    examples = training_examples(tokenizer, records, 512, prompt_format)
    args = sft_config(training, tmp_path / "args", seed=0, max_length=512)
    trainer = sft_trainer(load_causal_lm(model_dir), tokenizer, examples, args, peft=None)
    return trainer, trainer.train_dataset


def test_loss_falls_on_the_response_and_eos_as_the_alpaca_release(
    tiny_model_dir, demo_records, tmp_path
):
    tokenizer = load_tokenizer(tiny_model_dir)
    records = {
        "with input": next(r for r in demo_records if r["input"]),
        "without input": next(r for r in demo_records if not r["input"]),
        "backward": backward_record("Explain the tides.", "Tides follow the moon."),
        "seed tag": forward_record("Explain the tides.", "Tides follow the moon.", augmented=False),
        "web tag": forward_record("Explain the tides.", "Tides follow the moon.", augmented=True),
    }
    _, dataset = trainer_labels(tiny_model_dir, list(records.values()), tmp_path)
    for (name, record), row in zip(records.items(), dataset, strict=True):
        prompt = tokenizer(alpaca_prompt(record))["input_ids"]  # BOS and the prompt
        response = tokenizer.encode(record["output"], add_special_tokens=False)
        response.append(tokenizer.eos_token_id)
        assert row["input_ids"] == prompt + response, name
        assert row["labels"] == [IGNORE_INDEX] * len(prompt) + response, name
    backward = [t for t in dataset[2]["labels"] if t != IGNORE_INDEX][:-1]
    assert tokenizer.decode(backward) == "Explain the tides."  # the backward model writes it
    assert "### Input:" in alpaca_prompt(records["with input"])
    assert "### Input:" not in alpaca_prompt(records["without input"])


# The DiverseEvol release's training templates (consts.py), verbatim.
RELEASE_PROMPTS = {
    "prompt_input": (
        "Below is an instruction that describes a task, paired with an input that provides "
        "further context. Write a response that appropriately completes the request.\n\n"
        "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:"
    ),
    "prompt_no_input": (
        "Below is an instruction that describes a task. "
        "Write a response that appropriately completes the request.\n\n"
        "### Instruction:\n{instruction}\n\n### Response:"
    ),
}


def test_the_release_prompt_format_trains_on_the_releases_prompt(
    tiny_model_dir, demo_records, tmp_path
):
    tokenizer = load_tokenizer(tiny_model_dir)
    records = [
        next(r for r in demo_records if r["input"]),
        next(r for r in demo_records if not r["input"]),
    ]
    _, dataset = trainer_labels(tiny_model_dir, records, tmp_path, "alpaca_release")
    for record, row in zip(records, dataset, strict=True):
        template = RELEASE_PROMPTS["prompt_input" if record["input"] else "prompt_no_input"]
        release = template.format_map(record)
        assert alpaca_prompt(record, final_newline=False) == release
        assert alpaca_prompt(record) == release + "\n"  # the default, alpaca
        (prompt,) = encode_prompts(tokenizer, [record], "alpaca_release")
        assert prompt == tokenizer(release)["input_ids"]  # BOS and the release's prompt
        assert row["input_ids"][: len(prompt)] == prompt
        response = tokenizer.encode(record["output"], add_special_tokens=False)
        assert row["input_ids"][len(prompt) :] == [*response, tokenizer.eos_token_id]


def fastchat_prompt(system, roles, messages):
    """FastChat's Conversation.get_prompt for SeparatorStyle.ADD_COLON_TWO (sep " ",
    sep2 "</s>"), which the Humback release's vicuna_v1.1 templates use."""
    seps = [" ", "</s>"]
    ret = system + seps[0]
    for i, message in enumerate(messages):
        role = roles[i % 2]
        ret += role + ": " + message + seps[i % 2] if message else role + ":"
    return ret


def test_vicuna_conversations_are_the_humback_releases(tiny_model_dir):
    tokenizer = load_tokenizer(tiny_model_dir)
    user, assistant = ("USER", "ASSISTANT"), ("RESPONSE", "INSTRUCTION")
    vicuna = (
        "A chat between a curious user and an artificial intelligence assistant. "
        "The assistant gives helpful, detailed, and polite answers to the user's questions."
    )
    question, text = "Explain the tides.", "Tides follow the moon."
    cases = [  # (our record, the release's system message, roles, instruction, answer)
        (forward_record(question, text, augmented=False, system_prompt="release"),
         RELEASE_SEED_SYSTEM, user, question, text),
        (forward_record(question, text, augmented=True, system_prompt="release"),
         RELEASE_AUGMENTED_SYSTEM, user, question, text),
        (forward_record(question, text, augmented=True, system_prompt="none"),
         vicuna, user, question, text),
        (backward_record(question, text, "vicuna_v1.1"),
         RELEASE_BACKWARD_SYSTEM, assistant, text, question),
    ]  # fmt: skip
    for record, system, roles, asked, answer in cases:
        prompt = fastchat_prompt(system, roles, [asked, None])
        whole = fastchat_prompt(system, roles, [asked, answer])
        assert whole == prompt + " " + answer + "</s>"
        (ids,) = encode_prompts(tokenizer, [record], "vicuna_v1.1")
        assert ids == tokenizer(prompt)["input_ids"]
        example = encode_example(tokenizer, record, 512, "vicuna_v1.1")
        completion = tokenizer.encode(" " + answer, add_special_tokens=False)
        assert example["input_ids"] == ids + completion + [tokenizer.eos_token_id]
        assert sum(example["completion_mask"]) == len(completion) + 1
    asked = backward_prompt(text, "vicuna_v1.1")  # what the backward model is asked with
    assert encode_prompts(tokenizer, [asked], "vicuna_v1.1") == encode_prompts(
        tokenizer, [cases[3][0]], "vicuna_v1.1"
    )


def test_chat_template_prompts_are_what_generation_feeds(tiny_model_dir, tmp_path):
    tokenizer = load_tokenizer(tiny_model_dir)
    record = forward_record("Name a colour.", "Red.", augmented=False)
    messages = chat_messages(record)
    assert messages[0] == {"role": "system", "content": SEED_TAG}  # the tag, as system
    _, dataset = trainer_labels(tiny_model_dir, [record], tmp_path, "chat_template")
    (row,) = dataset
    (prompt,) = encode_prompts(tokenizer, [record], "chat_template")
    rendered = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    assert tokenizer.decode(prompt) == tokenizer.bos_token + rendered
    assert row["input_ids"][: len(prompt)] == prompt
    assert row["labels"][: len(prompt)] == [IGNORE_INDEX] * len(prompt)
    completion = row["labels"][len(prompt) :]
    assert tokenizer.decode(completion) == f"Red.{tokenizer.eos_token}\n"  # the turn's close


def test_packed_batches_keep_examples_apart(tiny_model_dir, demo_records, tmp_path):
    records = demo_records[:6]
    trainer, dataset = trainer_labels(
        tiny_model_dir, records, tmp_path, packing=True, per_device_train_batch_size=6
    )
    assert trainer.padding_free
    _, unpacked = trainer_labels(tiny_model_dir, records, tmp_path)
    batch = trainer.data_collator(list(dataset))
    assert batch["input_ids"].shape[0] == 1  # one row, no padding
    model = trainer.model.eval()
    with torch.no_grad():  # as SFTTrainer calls the model: no cache, position ids per example
        packed = model(
            input_ids=batch["input_ids"], position_ids=batch["position_ids"], use_cache=False
        ).logits[0]
        starts = (batch["position_ids"][0] == 0).nonzero().flatten().tolist()
        ends = [*starts[1:], batch["input_ids"].shape[1]]
        alone = {tuple(r["input_ids"]): r for r in unpacked}
        for start, end in zip(starts, ends, strict=True):
            ids = batch["input_ids"][0, start:end]
            assert tuple(ids.tolist()) in alone  # each example whole
            logits = model(input_ids=ids[None], use_cache=False).logits[0]
            torch.testing.assert_close(packed[start:end], logits, rtol=0, atol=1e-5)
    assert len(starts) == len(records)


LORA = {"r": 4, "lora_alpha": 8, "lora_dropout": 0.0, "target_modules": "all-linear"}


def test_lora_round_merges_into_a_plain_model(tiny_model_dir, demo_records, tmp_path):
    options = {
        "max_length": 96,
        "seed": 1,
        "training": {
            "num_train_epochs": 2,
            "learning_rate": 5e-2,
            "per_device_train_batch_size": 8,
        },
    }
    adapter, merged = tmp_path / "adapter", tmp_path / "merged"
    for out, merge in ((adapter, False), (merged, True)):
        training = {**options["training"], "peft": {**LORA, "merge": merge}}
        finetune(str(tiny_model_dir), demo_records[:16], out, **options | {"training": training})
    assert (adapter / "adapter_config.json").exists()
    assert not (merged / "adapter_config.json").exists()
    assert not list(merged.glob("adapter*"))
    base, tuned = load_causal_lm(tiny_model_dir).state_dict(), load_causal_lm(merged).state_dict()
    assert base.keys() == tuned.keys()
    changed = {k for k in base if not torch.equal(base[k], tuned[k])}
    assert "model.layers.0.self_attn.q_proj.weight" in changed
    assert "lm_head.weight" not in changed and "model.embed_tokens.weight" not in changed
    from peft import PeftModel

    with_adapter = PeftModel.from_pretrained(load_causal_lm(tiny_model_dir), str(adapter)).eval()
    ids = torch.tensor([encode_prompts(load_tokenizer(merged), demo_records[:1])[0]])
    with torch.no_grad():
        expected = with_adapter(input_ids=ids).logits
        torch.testing.assert_close(load_causal_lm(merged)(input_ids=ids).logits, expected)
        # an adapter folder loads as its merged model, for generation and embedding
        torch.testing.assert_close(load_causal_lm(adapter)(input_ids=ids).logits, expected)
        hidden = load_body(merged)(input_ids=ids).last_hidden_state
        torch.testing.assert_close(load_body(adapter)(input_ids=ids).last_hidden_state, hidden)


def test_qlora_on_a_cpu_says_what_it_needs(tiny_model_dir, demo_records, tmp_path):
    training = {"num_train_epochs": 1, "peft": {**LORA, "load_in_4bit": True}}
    with pytest.raises(RuntimeError, match="needs a CUDA GPU and bitsandbytes"):
        finetune(
            str(tiny_model_dir),
            demo_records[:4],
            tmp_path / "q",
            max_length=64,
            seed=0,
            training=training,
        )
    assert not (tmp_path / "q").exists()


def test_a_jobs_attention_implementation_reaches_every_model_it_loads(tiny_model_dir, monkeypatch):
    """``attn_implementation`` in a job's resources (a profile's set-resources)."""
    import subprocess
    import sys

    from selfalign.cluster.launch import ATTENTION_VARIABLE, use_job_resources

    monkeypatch.setenv(ATTENTION_VARIABLE, "")  # restored after the test
    assert load_causal_lm(tiny_model_dir).config._attn_implementation == "sdpa"
    use_job_resources({"gpu": 0, "attn_implementation": "eager"})
    assert load_causal_lm(tiny_model_dir).config._attn_implementation == "eager"
    assert load_body(tiny_model_dir).config._attn_implementation == "eager"
    # and in the processes the job starts: torchrun's ranks, a pool pass's shards
    code = "import sys; from selfalign.models.loading import load_body; "
    code += "print(load_body(sys.argv[1]).config._attn_implementation)"
    child = subprocess.run(
        [sys.executable, "-c", code, str(tiny_model_dir)], capture_output=True, text=True
    )
    assert child.stdout.strip() == "eager", child.stderr[-2000:]
