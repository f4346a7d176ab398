"""One DeepSpeed ZeRO optimizer step on the CPU: run with torchrun, 2 processes.

    torchrun --nproc_per_node 2 tests/zero_step.py MODEL_DIR ZERO_CONFIG OUT_JSON

The ZeRO config's "auto" values are filled the way transformers' Trainer fills
them; each rank writes the loss and a weight checksum before and after.
"""

import json
import os
import sys

import deepspeed
import torch
from transformers import TrainingArguments
from transformers.integrations.deepspeed import HfTrainerDeepSpeedConfig

from selfalign.models.loading import load_causal_lm

model_dir, zero_config, out_path = sys.argv[1:]
deepspeed.init_distributed(dist_backend="gloo")
rank = int(os.environ["RANK"])
args = TrainingArguments(
    output_dir="unused", per_device_train_batch_size=2, learning_rate=0.1, ddp_backend="gloo"
)
config = HfTrainerDeepSpeedConfig(zero_config)
config.trainer_config_process(args)
config.config["zero_allow_untested_optimizer"] = True
torch.manual_seed(0)
model = load_causal_lm(model_dir)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
engine, *_ = deepspeed.initialize(model=model, optimizer=optimizer, config=config.config)
before = sum(p.detach().double().sum().item() for p in model.parameters())
ids = torch.randint(3, 300, (2, 16), generator=torch.Generator().manual_seed(rank))
loss = engine(input_ids=ids, labels=ids).loss
engine.backward(loss)
engine.step()
after = sum(p.detach().double().sum().item() for p in model.parameters())
record = {"rank": rank, "loss": loss.item(), "before": before, "after": after,
          "stage": engine.zero_optimization_stage(), "world": engine.world_size}  # fmt: skip
with open(f"{out_path}.{rank}", "w") as f:
    json.dump(record, f)
# The step is done and recorded. Skip interpreter teardown: under load, ZeRO-3's
# CPU threads can abort it ("terminate called without an active exception").
torch.distributed.barrier()
torch.distributed.destroy_process_group()
sys.stdout.flush()
sys.stderr.flush()
os._exit(0)
