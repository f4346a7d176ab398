"""The records the model is least sure of: the smallest mean top-token probability.

An uncertainty baseline of the DiverseEvol release, scored with the round's
model over each record's full training text.
"""

from selfalign.selection import ByTokenScore, register


@register
class LeastConfidence(ByTokenScore):
    name = "least_confidence"
    score = "mean_max_prob"
    largest = False
