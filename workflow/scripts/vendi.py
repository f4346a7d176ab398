"""Vendi score of each round's labeled set under one fixed embedding model."""

import numpy as np
import pandas as pd

from selfalign.cluster.logs import log_to
from selfalign.diverse_evol.diversity import vendi_score
from selfalign.diverse_evol.labeled import read_labeled
from selfalign.io import atomic_output

log_to(snakemake.log[0])
embeddings = np.load(snakemake.input.embeddings, mmap_mode="r")  # pool rows, in order
rows = []
for round, path in enumerate(snakemake.input.labeled):
    labeled = read_labeled(path).rows
    vectors = np.asarray(embeddings[np.sort(labeled)])
    rows.append({"round": round, "labeled": len(labeled), "vendi": vendi_score(vectors)})
table = pd.DataFrame(rows)
with atomic_output(snakemake.output[0]) as tmp:
    table.to_csv(tmp, sep="\t", index=False, float_format="%.6f")
print(table.to_string(index=False))
