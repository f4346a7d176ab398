"""One batched pass over a pool: mean-pooled embeddings and, optionally, token scores.

Embeddings are the transformer body's last hidden layer, mean-pooled over the
record's tokens. Token scores, for the uncertainty strategies, come from the
same pass: the LM head applied to those hidden states gives each position's
next-token distribution, summarised per record as the mean over its tokens of
the top probability, the gap between the top two probabilities and the entropy.
"""

from __future__ import annotations

import logging

import numpy as np
from tqdm.auto import tqdm

from selfalign.models.encoding import iter_examples, length_sorted_batches

logger = logging.getLogger(__name__)

# Per-record means over the tokens of the full training text. The release's
# least confidence and margin rank by raw logits; the probability forms are kept too.
TOKEN_SCORES = (
    "mean_max_logit",
    "mean_logit_margin",
    "mean_max_prob",
    "mean_prob_margin",
    "mean_entropy",
)


def _right_padded(rows: list[np.ndarray], pad_token_id: int, device) -> dict:
    """``input_ids`` padded on the right and the 0/1 ``attention_mask``: every row
    keeps positions 0.. whatever its batch."""
    import torch

    ids = [torch.from_numpy(r).long() for r in rows]
    padded = torch.nn.utils.rnn.pad_sequence(ids, batch_first=True, padding_value=pad_token_id)
    lengths = torch.tensor([len(r) for r in rows])
    mask = (torch.arange(padded.shape[1])[None, :] < lengths[:, None]).long()
    return {"input_ids": padded.to(device), "attention_mask": mask.to(device)}


def _token_scores(logits, mask):
    """Per record, masked means of: the top logit, the gap between the two top
    logits, the same two of the probabilities, and the entropy."""
    import torch

    logits = logits.float()
    log_probs = torch.log_softmax(logits, dim=-1)
    probs = log_probs.exp()
    top2 = logits.topk(2, dim=-1).values
    top2_probs = top2.sub(logits.logsumexp(-1, keepdim=True)).exp()  # softmax is monotonic
    per_token = {
        "mean_max_logit": top2[..., 0],
        "mean_logit_margin": top2[..., 0] - top2[..., 1],
        "mean_max_prob": top2_probs[..., 0],
        "mean_prob_margin": top2_probs[..., 0] - top2_probs[..., 1],
        "mean_entropy": -(probs * log_probs).sum(-1),
    }
    count = mask.sum(1)
    return {name: (v * mask).sum(1) / count for name, v in per_token.items()}


def pool_features(
    body,
    tokenizer,
    records: list[dict],
    *,
    max_length: int,
    batch_size: int,
    lm_head=None,
    prompt_format: str = "alpaca",
    progress: bool = True,
) -> dict[str, np.ndarray]:
    """``embeddings`` (float32, one row per record, in record order), and with
    ``lm_head`` the float64 columns of ``TOKEN_SCORES``.

    The text is the full training text (prompt + response), tokenised as in
    training, in the run's ``prompt_format``.
    Padding is masked out of attention and of every mean, so a record's values
    do not depend on its batch.
    """
    import torch

    device = next(body.parameters()).device
    # int32 arrays: a pool's token ids take 4 bytes each, not a Python int's 36
    examples = iter_examples(tokenizer, records, max_length, prompt_format)
    ids = [np.array(e["input_ids"], dtype=np.int32) for e in examples]
    batches = length_sorted_batches([len(x) for x in ids], batch_size)
    logger.info("%d records, %d tokens", len(records), sum(len(x) for x in ids))
    out = {"embeddings": np.empty((len(records), body.config.hidden_size), dtype=np.float32)}
    if lm_head is not None:
        out |= {name: np.empty(len(records), dtype=np.float64) for name in TOKEN_SCORES}
    body.eval()
    with torch.inference_mode():
        for batch in tqdm(
            batches, desc="embedding", unit="batch", disable=not progress, mininterval=5
        ):
            inputs = _right_padded([ids[i] for i in batch], tokenizer.pad_token_id, device)
            hidden = body(**inputs).last_hidden_state
            mask = inputs["attention_mask"].float()
            pooled = (hidden.float() * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True)
            out["embeddings"][batch] = pooled.cpu().numpy()
            if lm_head is not None:
                for name, value in _token_scores(lm_head(hidden), mask).items():
                    out[name][batch] = value.double().cpu().numpy()
    return out


def embed_records(body, tokenizer, records: list[dict], **options) -> np.ndarray:
    """One float32 row per record, in record order (see ``pool_features``)."""
    return pool_features(body, tokenizer, records, **options)["embeddings"]
