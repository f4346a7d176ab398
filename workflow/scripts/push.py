"""Upload one run's export folder to the hub repositories its push.json names."""

import logging
from pathlib import Path

from selfalign.cluster.logs import console, log_to
from selfalign.export import push
from selfalign.io import write_json

log_to(snakemake.log[0])
uploaded = push(Path(snakemake.input.push).parent, private=snakemake.params.private)
for upload in uploaded:
    console(f"uploaded {', '.join(upload['folders'])} -> {upload['repo_type']} {upload['repo_id']}")
if not uploaded:
    logging.warning("nothing to push: set export.dataset_repo or export.model_repo in the config")
write_json(uploaded, snakemake.output[0])
