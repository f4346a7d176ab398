"""Demo questions held out from the generated pool, with reference answers."""

import json

from selfalign.demo_data import generate_demo_test_set
from selfalign.files import atomic_output
from selfalign.logs import log_to
from selfalign.records import read_json

log_to(snakemake.log[0])
spec = snakemake.params.spec
questions = generate_demo_test_set(spec["n_records"], spec["seed"], read_json(snakemake.input[0]))
with atomic_output(snakemake.output[0]) as tmp, open(tmp, "w", encoding="utf-8") as f:
    f.writelines(json.dumps(q, ensure_ascii=False) + "\n" for q in questions)
