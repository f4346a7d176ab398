"""Write docs/config-reference.md from the config schema's descriptions.

python docs/config_reference.py           # rewrite the page
python docs/config_reference.py --check   # fail if the page is out of date
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"
PAGE = REPO / "docs" / "config-reference.md"


def resolve(node: dict, defs: dict) -> dict:
    """A node with its ``$ref`` merged in (the node's own keys win)."""
    while "$ref" in node:
        target = defs[node["$ref"].rsplit("/", 1)[-1]]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def kind(node: dict) -> str:
    if "enum" in node:
        return " \\| ".join(f"`{value}`" for value in node["enum"])
    if "const" in node:
        return f"`{node['const']}`"
    choices = node.get("oneOf") or node.get("anyOf")
    if choices and all("required" not in choice for choice in choices):
        return " or ".join(kind(choice) for choice in choices)
    types = node.get("type", "")
    return " or ".join(types) if isinstance(types, list) else str(types)


def rows(node: dict, path: str, defs: dict):
    node = resolve(node, defs)
    if path:
        default = json.dumps(node["default"]) if "default" in node else ""
        description = " ".join(node.get("description", "").split()).replace("|", "\\|")
        yield path, kind(node), default, description
    for name, child in node.get("properties", {}).items():
        yield from rows(child, f"{path}.{name}" if path else name, defs)
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        yield from rows(extra, f"{path}.NAME", defs)
    items = node.get("items")
    if isinstance(items, dict) and "properties" in resolve(items, defs):
        yield from rows(items, f"{path}[]", defs)


def page() -> str:
    schema = yaml.safe_load(SCHEMA.read_text())
    defs = schema.get("$defs", {})
    lines = [
        "# Configuration reference",
        "",
        "Every key the workflow reads, from the descriptions in",
        "`workflow/schemas/config.schema.yaml` (this page is written from it by",
        "`python docs/config_reference.py`). `NAME` stands for a name you choose:",
        "a dataset, model, run or test set.",
    ]
    for top, node in schema["properties"].items():
        lines += ["", f"## `{top}`", "", "| key | type | default | description |"]
        lines += ["| --- | --- | --- | --- |"]
        for path, type_, default, description in rows(node, top, defs):
            default = f"`{default}`" if default else ""
            lines.append(f"| `{path}` | {type_} | {default} | {description} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    if parser.parse_args().check:
        if not PAGE.exists() or PAGE.read_text() != page():
            sys.exit(f"{PAGE} is out of date: run python docs/config_reference.py")
    else:
        PAGE.write_text(page())


if __name__ == "__main__":
    main()
