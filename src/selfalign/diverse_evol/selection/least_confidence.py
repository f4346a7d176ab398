"""The records the model is least sure of: the smallest mean top logit.

The DiverseEvol release's least-confidence baseline: per record, the mean over
its full training text's tokens of the largest raw logit, ascending.
``least_confidence_prob`` ranks by the top probability instead.
"""

from selfalign.diverse_evol.selection import ByTokenScore, register


@register
class LeastConfidence(ByTokenScore):
    name = "least_confidence"
    score = "mean_max_logit"
    largest = False


@register
class LeastConfidenceProb(ByTokenScore):
    name = "least_confidence_prob"
    score = "mean_max_prob"
    largest = False
