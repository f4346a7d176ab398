"""Demo questions held out from the generated pool, with reference answers."""

from selfalign.demo_data import generate_demo_test_set
from selfalign.jsonl import write_jsonl
from selfalign.logs import log_to
from selfalign.pools import read_records

log_to(snakemake.log[0])
spec = snakemake.params.spec
questions = generate_demo_test_set(
    spec.get("n_records"),
    spec["seed"],
    read_records(snakemake.input[0]),
    per_family=spec.get("per_family"),
)
write_jsonl(questions, snakemake.output[0])
