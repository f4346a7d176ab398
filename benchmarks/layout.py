"""The library's shape, in the figures a reader of the code feels: modules per
package, the longest chain of internal imports, the results-path templates
typed in the workflow and library (and how many are typed more than once), and
how many spellings each concept has.

    python benchmarks/layout.py [--repo PATH]

Run it on two checkouts to compare a redesign's before and after.
"""

from __future__ import annotations

import argparse
import ast
import re
from collections import Counter, defaultdict
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Each concept with the spellings that name it in code, wildcards, config keys
# and docs (whole words, case-sensitive; `round` also counts the prose word).
CONCEPTS = {
    "round": [
        r"\bn_round\b",
        r"\{rd\}",
        r"\brnd\b",
        r"\{r\}",
        r"\bround\b",
        r"\{t\}",
        r"\biteration\b",
    ],
    "trained model wildcard": [r"\{model\}", r"\{hbmodel\}"],
    "unlabeled": [r"\bunlabeled\b", r"\bunlabelled\b"],
    "GPU": [r"\bGPUs?\b", r"\bcards?\b"],
}
TEXT_FILES = ("*.py", "*.smk", "Snakefile", "*.yaml", "*.md", "*.sh")
RESULTS_PATH = re.compile(r"""results/[^"'\s)]*""")


def modules_per_package(src: Path) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for module in src.rglob("*.py"):
        counts[str(module.parent.relative_to(src.parent)).replace("/", ".")] += 1
    return dict(sorted(counts.items()))


def module_name(src: Path, path: Path) -> str:
    parts = list(path.relative_to(src.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(src: Path) -> dict[str, set[str]]:
    """Internal imports at module level and inside functions alike."""
    modules = {module_name(src, path): path for path in src.rglob("*.py")}
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            targets = []
            if isinstance(node, ast.ImportFrom) and node.module:
                targets = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            for target in targets:
                if target in modules and target != name:
                    graph[name].add(target)
        graph.setdefault(name, set())
    return graph


def longest_chain(graph: dict[str, set[str]]) -> list[str]:
    @cache
    def chain(module: str, seen: frozenset[str] = frozenset()) -> tuple[str, ...]:
        best: tuple[str, ...] = ()
        for target in graph[module] - seen:
            candidate = chain(target, seen | {module})
            if len(candidate) > len(best):
                best = candidate
        return (module, *best)

    return list(max((chain(module) for module in graph), key=len))


def text_files(repo: Path) -> list[Path]:
    roots = [repo / "src", repo / "workflow", repo / "Snakefile"]
    files = []
    for root in roots:
        if root.is_file():
            files.append(root)
        else:
            for pattern in TEXT_FILES:
                files.extend(root.rglob(pattern))
    return files


def path_templates(repo: Path) -> Counter[str]:
    found: Counter[str] = Counter()
    for path in text_files(repo):
        if path.suffix in (".py", ".smk") or path.name == "Snakefile":
            found.update(RESULTS_PATH.findall(path.read_text()))
    return found


def spellings(repo: Path) -> dict[str, Counter[str]]:
    docs = [*repo.glob("*.md"), *repo.glob("docs/*.md")]
    files = [*text_files(repo), *docs, *(repo / "config").glob("*.yaml")]
    text = "\n".join(path.read_text() for path in files)
    return {
        concept: Counter({pattern: len(re.findall(pattern, text)) for pattern in patterns})
        for concept, patterns in CONCEPTS.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=REPO)
    repo = parser.parse_args().repo.resolve()
    src = repo / "src" / "selfalign"

    print(f"## {repo}\n\n| package | modules |\n| --- | ---: |")
    for package, count in modules_per_package(src).items():
        print(f"| `{package}` | {count} |")

    chain = longest_chain(import_graph(src))
    print(f"\nLongest internal import chain ({len(chain)} modules): {' -> '.join(chain)}")

    templates = path_templates(repo)
    retyped = {template: n for template, n in templates.items() if n > 1}
    print(
        f"\nResults-path templates: {len(templates)} distinct, {len(retyped)} typed more than once"
    )
    for template, n in sorted(retyped.items(), key=lambda item: -item[1])[:5]:
        print(f"  {n} x {template}")

    print("\n| concept | spellings in use | uses per spelling |\n| --- | ---: | --- |")
    for concept, counts in spellings(repo).items():
        used = {pattern: n for pattern, n in counts.items() if n}
        listed = ", ".join(f"`{pattern}` {n}" for pattern, n in used.items())
        print(f"| {concept} | {len(used)} | {listed} |")


if __name__ == "__main__":
    main()
