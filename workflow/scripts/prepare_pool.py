"""Write the checked, normalised pool with a stable id per record."""

import logging

from selfalign.demo_data import generate_demo_records
from selfalign.files import write_json
from selfalign.logs import log_to
from selfalign.records import load_pool

log_to(snakemake.log[0])
spec = snakemake.params.spec
if "generate" in spec:
    records = generate_demo_records(spec["generate"]["n_records"], spec["generate"]["seed"])
else:
    records = load_pool(snakemake.input[0])
write_json(records, snakemake.output[0])
logging.info("wrote %d records to %s", len(records), snakemake.output[0])
