"""Stage 2: unlabeled segments, filtered by length and (near) duplicates, sampled."""

import json
import logging
import tempfile

from selfalign.cluster.logs import log_to
from selfalign.humback.dedup import MinHashSettings
from selfalign.humback.demo import generate_web_text
from selfalign.humback.unlabeled import read_web_text, select_unlabeled
from selfalign.io import atomic_output, write_jsonl

log_to(snakemake.log[0])
spec = snakemake.params.spec
if "path" in spec:
    texts = read_web_text(spec["path"], spec["field"])
else:
    generated = generate_web_text(spec["generate"]["n_documents"], spec["generate"]["seed"])
    texts = [d["content"] for d in generated]
with tempfile.TemporaryDirectory(dir=snakemake.resources.get("tmpdir")) as tmp:
    records, counts = select_unlabeled(
        texts,
        min_chars=spec["min_chars"],
        max_chars=spec["max_chars"],
        minhash=MinHashSettings(**spec["minhash"]),
        size=spec["size"],
        seed=spec["seed"],
        workdir=tmp,
        workers=snakemake.threads,
        min_line_chars=spec["min_line_chars"],
        dedup=spec["dedup"],
    )
logging.info("unlabeled text: %s", counts)
write_jsonl(records, snakemake.output.texts)
with atomic_output(snakemake.output.counts) as out:
    out.write_text(json.dumps(counts, indent=1) + "\n")
