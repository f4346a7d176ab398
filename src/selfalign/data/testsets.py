"""Test sets: questions a model answers, in the test set's own order.

Reads the DiverseEvol formats (vicuna ``question_id``/``text``, koala
``id``/``prompt``, wizardlm ``idx``/``Instruction``) and plain JSON Lines with
``id`` and ``instruction`` (optionally ``input`` and a ``reference`` answer).
Each question keeps its original record, so an answers file is that record
plus ``answer``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from selfalign.data.records import DataError, parse_json_records

FORMATS = (  # (id field, question field), tried in order
    ("question_id", "text"),
    ("id", "prompt"),
    ("idx", "Instruction"),
    ("id", "instruction"),
)


@dataclass(frozen=True)
class Question:
    id: str
    instruction: str
    input: str = ""
    reference: str | None = None
    record: dict = field(default_factory=dict)

    def as_record(self) -> dict:
        """The record the Alpaca prompt is built from."""
        return {"instruction": self.instruction, "input": self.input}


def _question(path: Path, line: int, index: int, record) -> Question:
    where = f"{path}:{line}: record {index}"
    if not isinstance(record, dict):
        raise DataError(f"{where}: expected a JSON object")
    for id_key, text_key in FORMATS:
        if id_key in record and text_key in record:
            text, input_ = record[text_key], record.get("input", "")
            reference = record.get("reference")
            if not isinstance(text, str) or not isinstance(input_, str):
                raise DataError(f"{where}: field '{text_key}' must be a string")
            if reference is not None and not isinstance(reference, str):
                raise DataError(f"{where}: field 'reference' must be a string")
            return Question(str(record[id_key]), text, input_, reference, record)
    known = ", ".join(f"{id_field}+{text_field}" for id_field, text_field in FORMATS)
    raise DataError(f"{where}: no question fields; expected one of: {known}")


def load_testset(path: str | Path) -> list[Question]:
    """Questions of a test set file; errors name the file and line."""
    path = Path(path)
    items = parse_json_records(path)
    if not items:
        raise DataError(f"{path}: the test set is empty")
    questions = [_question(path, it.line, i, it.value) for i, it in enumerate(items)]
    seen = set()
    for item, q in zip(items, questions, strict=True):
        if q.id in seen:
            raise DataError(f"{path}:{item.line}: duplicate question id {q.id!r}")
        seen.add(q.id)
    return questions
