"""The records with the largest mean next-token entropy.

An uncertainty baseline of the DiverseEvol release, scored with the round's
model over each record's full training text.
"""

from selfalign.diverse_evol.selection import ByTokenScore, register


@register
class Entropy(ByTokenScore):
    name = "entropy"
    score = "mean_entropy"
    largest = True
