"""A tiny LLaMA-architecture model and tokenizer built offline from a pool.

The demo's base model: a byte-level BPE tokenizer trained on the pool's own
prompts and responses and a model of random weights, optionally pre-trained
(``pretrain``) on terse answers to the demo families' questions, so that
fine-tuning has knowledge to build on, as with a real base model. Both are
saved with ``save_pretrained``: every later step loads the model exactly as it
would load ``meta-llama/...``. The tokenizer carries a chat template of its own
(``CHAT_TEMPLATE``), for runs with ``prompt_format: chat_template``.
"""

from __future__ import annotations

from pathlib import Path

from selfalign.models.prompts import alpaca_prompt

SPECIAL_TOKENS = {
    "bos_token": "<s>",
    "eos_token": "</s>",
    "unk_token": "<unk>",
    "pad_token": "<pad>",
}
# Each turn under a role line, closed by EOS (as Zephyr's template does): a model
# trained on it stops where the assistant's turn ends.
CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|>\n"
    "{{ message['content'] }}{{ eos_token }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


def train_tokenizer(texts: list[str], vocab_size: int):
    """A byte-level BPE ``PreTrainedTokenizerFast`` that adds ``<s>`` in front, with
    ``CHAT_TEMPLATE``."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.BPE(unk_token=SPECIAL_TOKENS["unk_token"]))
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS.values()),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    core.train_from_iterator(texts, trainer=trainer)
    bos = SPECIAL_TOKENS["bos_token"]
    core.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A", pair=f"{bos} $A {bos} $B", special_tokens=[(bos, core.token_to_id(bos))]
    )
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, **SPECIAL_TOKENS)
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def build_tiny_model(
    records: list[dict],
    out_dir: str | Path,
    *,
    vocab_size: int,
    hidden_size: int,
    intermediate_size: int,
    num_hidden_layers: int,
    num_attention_heads: int,
    max_position_embeddings: int,
    seed: int,
    head_dim: int | None = None,
) -> None:
    """Train the tokenizer on ``records`` and save it with a random LLaMA model."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    texts = [alpaca_prompt(r) + r["output"] for r in records]
    tokenizer = train_tokenizer(texts, vocab_size)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=intermediate_size,
        num_hidden_layers=num_hidden_layers,
        num_attention_heads=num_attention_heads,
        num_key_value_heads=num_attention_heads,
        head_dim=head_dim or hidden_size // num_attention_heads,
        max_position_embeddings=max_position_embeddings,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)


def pretrain(
    model_dir: str | Path,
    out_dir: str | Path,
    *,
    held_out: list[dict],
    n_records: int,
    seed: int,
    max_length: int,
    training: dict,
) -> None:
    """Train the model in ``model_dir`` on ``n_records`` pre-training questions
    (``generate_pretraining_records``: every family, terse answers, none of
    ``held_out``) in the chat template, with the fine-tuning code; save it in ``out_dir``."""
    from selfalign.data.demo import generate_pretraining_records
    from selfalign.train.finetune import finetune

    corpus = generate_pretraining_records(n_records, seed, exclude=held_out)
    finetune(
        str(model_dir),
        corpus,
        out_dir,
        training=training,
        max_length=max_length,
        seed=seed,
        prompt_format="chat_template",
    )
