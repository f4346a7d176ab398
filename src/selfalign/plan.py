"""Which evaluation files a config asks for; read while Snakemake plans.

Every trained model is evaluated: a DiverseEvol run's rounds (``rd_0`` ...
``rd_N``) and a Humback run's iterations (``M0`` ... ``Mn``). Opponents name
a round (an iteration, for Humback), another run, or fixed answers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from selfalign import paths


@dataclass(frozen=True)
class Family:
    """A run's trained models: ``prefix`` + 0 .. ``last``."""

    prefix: str
    last: int

    def names(self) -> list[str]:
        return [f"{self.prefix}{i}" for i in range(self.last + 1)]


def families(runs: dict, humback: dict) -> dict[str, Family]:
    """Every run that trains models, DiverseEvol and Humback alike."""
    found = {run: Family("rd_", spec["n_round"]) for run, spec in runs.items()}
    return found | {hb: Family("M", spec["n_iterations"]) for hb, spec in humback.items()}


@dataclass(frozen=True)
class Judgment:
    run: str
    testset: str
    model: str
    opponent: str

    @property
    def path(self) -> str:
        return paths.JUDGMENT.format(**asdict(self))

    def describe(self, families: dict[str, Family]) -> dict:
        """What a summary row says of it: test set, run, model, the model's round, opponent."""
        index = model_index(families[self.run], self.model)
        return {**asdict(self), "round": index}


def answers_path(run: str, testset: str, model: str) -> str:
    return paths.ANSWERS.format(run=run, testset=testset, model=model)


def model_index(family: Family, model: str) -> int:
    return int(model.removeprefix(family.prefix))


def opponent_answers(evaluation: dict, models: dict[str, Family], judgment: Judgment):
    """The opponent's answers file for one judgment, or None where it has none.

    None for a comparison of a model with itself, a round the other run does
    not have, or a fixed answers file that does not cover the test set.
    """
    spec = evaluation["opponents"][judgment.opponent]
    if "answers" in spec:
        return spec["answers"].get(judgment.testset)
    run = spec.get("run", judgment.run)
    index = spec.get("round", model_index(models[judgment.run], judgment.model))
    if index > models[run].last:
        return None
    opponent = f"{models[run].prefix}{index}"
    if (run, opponent) == (judgment.run, judgment.model):
        return None
    return answers_path(run, judgment.testset, opponent)


def judgments(evaluation: dict, models: dict[str, Family]) -> list[Judgment]:
    """Every (run, test set, model, opponent) with an opponent to judge against."""
    wanted = []
    for run, family in models.items():
        for testset in evaluation["testsets"]:
            for model in family.names():
                for opponent in evaluation["opponents"]:
                    judgment = Judgment(run, testset, model, opponent)
                    if opponent_answers(evaluation, models, judgment):
                        wanted.append(judgment)
    return wanted


def exact_match(evaluation: dict) -> dict | None:
    """What ``evaluation.exact_match`` scores: its test sets (every generated one unless
    named) and its groups of replicate runs; None where it is not asked for."""
    spec = evaluation.get("exact_match")
    if spec is None:
        return None
    generated = [name for name, t in evaluation["testsets"].items() if "generate" in t]
    return {
        "testsets": spec.get("testsets", generated),
        "replicates": spec.get("replicates", {}),
    }
