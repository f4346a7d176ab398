"""Stage 1: seed pairs from oasst1 trees, plain pairs, or the demo generator."""

import logging

from selfalign.cluster.logs import log_to
from selfalign.humback.demo import generate_seed_pairs
from selfalign.humback.seed import load_oasst_seed, load_pairs
from selfalign.io import write_jsonl

log_to(snakemake.log[0])
spec = snakemake.params.spec
if "oasst" in spec:
    pairs = load_oasst_seed(spec["oasst"], spec["seed_size"], spec["walk"], spec["min_quality"])
elif "path" in spec:
    pairs = load_pairs(spec["path"], spec["seed_size"])
else:
    pairs = generate_seed_pairs(spec["generate"]["n_records"], spec["generate"]["seed"])
write_jsonl(pairs, snakemake.output[0])
logging.info("%d seed pairs", len(pairs))
