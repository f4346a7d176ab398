"""Which evaluation files a config asks for; read while Snakemake plans."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Judgment:
    run: str
    testset: str
    round: int
    opponent: str

    @property
    def path(self) -> str:
        return f"results/{self.run}/judge/{self.testset}/rd_{self.round}_vs_{self.opponent}.jsonl"


def answers_path(run: str, testset: str, rnd: int) -> str:
    return f"results/{run}/answers/{testset}/rd_{rnd}.jsonl"


def opponent_answers(evaluation: dict, runs: dict, judgment: Judgment) -> str | None:
    """The opponent's answers file for one judgment, or None where it has none.

    None for a comparison of a model with itself, a round the other run does
    not have, or a fixed answers file that does not cover the test set.
    """
    spec = evaluation["opponents"][judgment.opponent]
    if "answers" in spec:
        return spec["answers"].get(judgment.testset)
    run = spec.get("run", judgment.run)
    rnd = spec.get("round", judgment.round)
    if (run, rnd) == (judgment.run, judgment.round) or rnd > runs[run]["n_round"]:
        return None
    return answers_path(run, judgment.testset, rnd)


def judgments(evaluation: dict, runs: dict) -> list[Judgment]:
    """Every (run, test set, round, opponent) with an opponent to judge against."""
    wanted = []
    for run, settings in runs.items():
        for testset in evaluation["testsets"]:
            for rnd in range(settings["n_round"] + 1):
                for opponent in evaluation["opponents"]:
                    judgment = Judgment(run, testset, rnd, opponent)
                    if opponent_answers(evaluation, runs, judgment):
                        wanted.append(judgment)
    return wanted
