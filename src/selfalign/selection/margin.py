"""The records with the smallest mean gap between the two likeliest next tokens.

An uncertainty baseline of the DiverseEvol release, scored with the round's
model over each record's full training text.
"""

from selfalign.selection import ByTokenScore, register


@register
class Margin(ByTokenScore):
    name = "margin"
    score = "mean_margin"
    largest = False
