"""Demo questions held out from the generated pool, with reference answers."""

from selfalign.cluster.logs import log_to
from selfalign.data.demo import generate_demo_test_set
from selfalign.data.pools import read_records
from selfalign.io import write_jsonl

log_to(snakemake.log[0])
spec = snakemake.params.spec
questions = generate_demo_test_set(
    spec.get("n_records"),
    spec["seed"],
    read_records(snakemake.input[0]),
    per_family=spec.get("per_family"),
)
write_jsonl(questions, snakemake.output[0])
