"""The records with the smallest mean gap between the two top logits.

The DiverseEvol release's margin baseline: per record, the mean over its full
training text's tokens of the largest raw logit minus the second, ascending.
``margin_prob`` ranks by the gap between the two top probabilities instead.
"""

from selfalign.diverse_evol.selection import ByTokenScore, register


@register
class Margin(ByTokenScore):
    name = "margin"
    score = "mean_logit_margin"
    largest = False


@register
class MarginProb(ByTokenScore):
    name = "margin_prob"
    score = "mean_prob_margin"
    largest = False
