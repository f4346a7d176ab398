"""Vendi score of each round's labeled set under one fixed embedding model."""

import numpy as np
import pandas as pd

from selfalign.diversity import vendi_score
from selfalign.files import atomic_output
from selfalign.logs import log_to
from selfalign.records import read_json

log_to(snakemake.log[0])
row_of = {r["id"]: i for i, r in enumerate(read_json(snakemake.input.pool))}
embeddings = np.load(snakemake.input.embeddings)
rows = []
for rnd, path in enumerate(snakemake.input.labeled):
    labeled = read_json(path)
    vectors = embeddings[[row_of[r["id"]] for r in labeled]]
    rows.append({"round": rnd, "labeled": len(labeled), "vendi": vendi_score(vectors)})
table = pd.DataFrame(rows)
with atomic_output(snakemake.output[0]) as tmp:
    table.to_csv(tmp, sep="\t", index=False, float_format="%.6f")
print(table.to_string(index=False))
