"""Tables and plots of what each round selected and how its models score."""

from __future__ import annotations

from collections import Counter

import pandas as pd

from selfalign.evaluate.accuracy import ordered_pivot
from selfalign.evaluate.model_table import MT_BENCH

FIXED_COLUMNS = ["round", "labeled", "added", "categories"]


def read_tables(names: list[str], paths: list[str]) -> dict[str, pd.DataFrame]:
    """TSV tables by name (one per run), in the given order."""
    return {name: pd.read_csv(path, sep="\t") for name, path in zip(names, paths, strict=True)}


def selection_table(rounds: list[list[dict]]) -> pd.DataFrame:
    """One row per round: sizes and, where records have one, counts per category."""
    rows = []
    for round, labeled in enumerate(rounds):
        counts = Counter(r["category"] for r in labeled if "category" in r)
        rows.append(
            {
                "round": round,
                "labeled": len(labeled),
                "added": len(labeled) - (len(rounds[round - 1]) if round else 0),
                "categories": len(counts),
                **dict(sorted(counts.items())),
            }
        )
    table = pd.DataFrame(rows).fillna(0)
    return table.astype({c: int for c in table.columns})


def plot_selection(tables: dict[str, pd.DataFrame], path: str) -> None:
    """Per run, the category mix of the labeled set round by round."""
    plt = _pyplot()
    fig, axes = plt.subplots(
        1, len(tables), figsize=(5 * len(tables), 4), sharey=True, squeeze=False
    )
    categories = sorted({c for t in tables.values() for c in t.columns if c not in FIXED_COLUMNS})
    colours = dict(zip(categories, plt.get_cmap("tab20").colors, strict=False))
    for ax, (run, table) in zip(axes[0], tables.items(), strict=True):
        bottom = pd.Series(0.0, index=table.index)
        for cat in categories:
            share = table.get(cat, 0) / table["labeled"]
            ax.bar(table["round"], share, bottom=bottom, color=colours[cat], label=cat)
            bottom = bottom + share
        if not categories:
            ax.bar(table["round"], table["labeled"], color="grey")
        ax.set_title(f"{run}")
        ax.set_xlabel("round")
        ax.set_xticks(table["round"])
    axes[0][0].set_ylabel("share of labeled set" if categories else "labeled records")
    if categories:
        axes[0][-1].legend(
            title="category", bbox_to_anchor=(1.02, 1), loc="upper left", fontsize="small"
        )
    fig.suptitle("What each round's labeled set is made of")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _integer_rounds(ax) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("round")


def plot_judgments(summary: pd.DataFrame, path: str) -> None:
    """RS and Win rate per round: a row of panels per test set, a line per run and opponent."""
    plt = _pyplot()
    testsets = sorted(summary["testset"].unique())
    fig, axes = plt.subplots(len(testsets), 2, figsize=(11, 3.6 * len(testsets)), squeeze=False)
    for row, testset in zip(axes, testsets, strict=True):
        part = summary[summary["testset"] == testset]
        for (run, opponent), line in part.groupby(["run", "opponent"]):
            line = line.sort_values("round")
            label = f"{run} vs {opponent}"
            row[0].plot(line["round"], line["RS"], marker="o", label=label)
            row[1].plot(line["round"], line["win"] / line["n"], marker="o", label=label)
            _mark_unparsed(row, line)
        judges = ", ".join(sorted(part["judge"].unique()))
        for ax, metric in zip(row, ("RS (model / opponent score)", "Win rate"), strict=True):
            ax.set_xlim(part["round"].min() - 0.5, part["round"].max() + 0.5)  # NaN rounds too
            ax.set_title(f"{testset}: {metric}", fontsize="medium")
            _integer_rounds(ax)
            ax.grid(alpha=0.3)
        row[0].axhline(1.0, color="grey", lw=0.8, ls="--")
        row[1].legend(fontsize="small", title=f"judge: {judges}", title_fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _mark_unparsed(axes, line: pd.DataFrame) -> None:
    """Ring the points whose judgments had unparsed replies, and name the rounds where
    none parsed (no point can be drawn there), so no gap or shift goes unexplained."""
    partial = line[(line["unparsed"] > 0) & (line["n"] > 0)]
    for ax, values in zip(axes, (partial["RS"], partial["win"] / partial["n"]), strict=True):
        ax.scatter(partial["round"], values, s=160, facecolors="none", edgecolors="red")
    for round_ in line.loc[line["n"] == 0, "round"]:
        for ax in axes:
            ax.axvline(round_, color="red", lw=0.8, ls=":")
            ax.annotate("no verdict\nparsed", (round_, 0.5), xycoords=("data", "axes fraction"),
                        ha="center", color="red", fontsize="small")  # fmt: skip
    if len(partial) or (line["n"] == 0).any():
        axes[1].scatter([], [], s=80, facecolors="none", edgecolors="red",
                        label="unparsed replies (summary.tsv: note)")  # fmt: skip


def plot_vendi(tables: dict[str, pd.DataFrame], path: str) -> None:
    """Vendi score of each run's labeled set, round by round."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for run, table in tables.items():
        ax.plot(table["round"], table["vendi"], marker="o", label=run)
    _integer_rounds(ax)
    ax.set_ylabel("Vendi score (q = 1, cosine)")
    ax.set_title("Diversity of the labeled set")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _shared_axis(column: str) -> bool:
    """A column the models plot shows: not a standard error, nor MT-Bench's details."""
    return not column.endswith(" SE") and not column.startswith(f"{MT_BENCH} ")


def plot_model_tables(tables: dict[str, pd.DataFrame], path: str) -> None:
    """A panel per run: every measure of its models, left to right in training order.

    AlpacaEval's percentages are shown as fractions and MT-Bench's 1-10 rating as
    tenths, so that every measure shares one axis (RS is a ratio around 1; rates and
    accuracies lie in 0..1), with their standard errors as error bars. MT-Bench's
    turns and categories have their own plot (``plot_mt_bench``).
    """
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(tables), figsize=(6 * len(tables), 4.2), squeeze=False)
    for ax, (run, table) in zip(axes[0], tables.items(), strict=True):
        x = range(len(table))
        numbers = table.select_dtypes("number").columns
        for column in (c for c in numbers if _shared_axis(c)):
            scale = 100 if column.startswith("AlpacaEval") else 10 if column == MT_BENCH else 1
            error = table[f"{column} SE"] / scale if f"{column} SE" in numbers else None
            label = f"{column} / {scale}" if scale > 1 else column
            ax.errorbar(x, table[column] / scale, yerr=error, marker="o", capsize=3, label=label)
        ax.set_xticks(list(x), table["model"], rotation=45 if len(table) > 8 else 0)
        ax.set_title(run)
        ax.grid(alpha=0.3)
        if len(table.select_dtypes("number").columns):
            ax.legend(fontsize="x-small")
    fig.suptitle("Every model of each run")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_accuracy(tables: dict[str, pd.DataFrame], testset: str, path: str) -> None:
    """A heatmap per run: task families down, the run's models across, accuracy in each cell."""
    plt = _pyplot()
    panel_width = 0.8 * (1 + max(t["model"].nunique() for t in tables.values()))
    fig, axes = plt.subplots(
        1,
        len(tables),
        figsize=(2 + panel_width * len(tables), 4.8),
        sharey=True,
        squeeze=False,
        layout="constrained",
    )
    for ax, (run, table) in zip(axes[0], tables.items(), strict=True):
        grid = ordered_pivot(table, "family", "model", "accuracy")
        image = _heatmap(ax, grid, 0, 1, "{:.2f}")
        ax.set_title(run)
    fig.colorbar(image, ax=axes[0].tolist(), shrink=0.8, label="exact-match accuracy")
    axes[0][0].set_ylabel("task family")
    fig.suptitle(f"{testset}: exact-match accuracy per task family")
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)


def _heatmap(ax, grid: pd.DataFrame, vmin: float, vmax: float, number: str):
    """``grid`` as coloured cells with their values written in (none where NaN)."""
    image = ax.imshow(
        grid.to_numpy(dtype=float), vmin=vmin, vmax=vmax, cmap="viridis", aspect="auto"
    )
    light = vmin + 0.6 * (vmax - vmin)
    for (row, col), value in pd.DataFrame(grid.to_numpy(dtype=float)).stack().items():
        colour = "black" if value > light else "white"
        ax.text(col, row, number.format(value), ha="center", va="center", fontsize=7, color=colour)
    ax.set_xticks(range(grid.shape[1]), grid.columns)
    ax.set_yticks(range(grid.shape[0]), grid.index)
    return image


def plot_mt_bench(tables: dict[str, pd.DataFrame], path: str) -> None:
    """A heatmap per run: MT-Bench's mean rating (1-10) per category, per turn and over
    all, down; the run's models across."""
    plt = _pyplot()
    panel_width = 0.8 * (1 + max(len(t) for t in tables.values()))
    fig, axes = plt.subplots(
        1, len(tables), figsize=(2.5 + panel_width * len(tables), 5), sharey=True,
        squeeze=False, layout="constrained",
    )  # fmt: skip
    for ax, (run, table) in zip(axes[0], tables.items(), strict=True):
        scored = [c for c in table.columns if c.startswith(MT_BENCH) and not c.endswith("unparsed")]
        grid = table.set_index("model")[scored].T
        grid.index = [c.removeprefix(MT_BENCH).strip() or "all" for c in scored]
        image = _heatmap(ax, grid, 1, 10, "{:.1f}")
        turns = sum(name.startswith("turn ") for name in grid.index)
        for line in (0.5, turns + 0.5):  # all | the turns | the categories
            ax.axhline(line, color="white", lw=2)
        ax.set_title(run)
    fig.colorbar(image, ax=axes[0].tolist(), shrink=0.8, label="mean rating (1-10)")
    fig.suptitle("MT-Bench: single-answer grading per category and turn")
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)


def plot_replicates(summary: pd.DataFrame, testset: str, path: str) -> None:
    """A panel per task family: each group's mean accuracy by round, its runs' range as a band."""
    plt = _pyplot()
    families = list(dict.fromkeys(summary["family"]))
    columns = min(len(families), 5)
    rows = -(-len(families) // columns)
    fig, axes = plt.subplots(
        rows, columns, figsize=(3 * columns, 2.6 * rows), sharey=True, squeeze=False
    )
    for ax, family in zip(axes.flat, families, strict=False):
        for group, line in summary[summary["family"] == family].groupby("group", sort=False):
            x = range(len(line))
            ax.plot(x, line["mean"], marker="o", ms=3, label=f"{group} (n={line['runs'].max()})")
            ax.fill_between(x, line["min"], line["max"], alpha=0.2)
            ax.set_xticks(list(x), line["model"], fontsize="x-small")
        ax.set_title(family, fontsize="medium")
        ax.set_ylim(-0.05, 1.05)
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(families) :]:
        ax.axis("off")
    axes[0][0].legend(fontsize="x-small")
    fig.suptitle(f"{testset}: exact-match accuracy, mean and range over replicate runs")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
