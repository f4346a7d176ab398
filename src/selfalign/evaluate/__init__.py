"""Evaluation: pairwise judging, AlpacaEval, exact-match accuracy, lm-eval tasks and the reports."""
