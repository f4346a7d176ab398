"""Selection strategies and the round invariants they must keep."""

import numpy as np
import pytest

from selfalign.diverse_evol import whitening
from selfalign.diverse_evol.diversity import vendi_score
from selfalign.diverse_evol.rounds import initial_rows, next_picks, unlabeled_rows
from selfalign.diverse_evol.selection import available, get_strategy
from selfalign.diverse_evol.selection.kcenter import greedy_kcenter
from selfalign.diverse_evol.whitening import whiten


def reference_kcenter(points, labeled, candidates, n):
    """Plain greedy k-center on a full float64 distance matrix."""
    x = points.astype(np.float64)
    full = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1))
    chosen, picks = list(labeled), []
    for _ in range(n):
        rest = [c for c in candidates if c not in picks]
        gaps = [full[c, chosen].min() if chosen else np.inf for c in rest]
        best = rest[int(np.argmax(gaps))]
        picks.append(best)
        chosen.append(best)
    return picks


def clustered(rng, n, d, k):
    """``n`` points around ``k`` well-separated centres, and each point's cluster."""
    labels = rng.integers(k, size=n)
    centres = rng.normal(size=(k, d)) * 10
    return (centres[labels] + rng.normal(size=(n, d))).astype(np.float32), labels


@pytest.mark.parametrize("kind", ["random", "clustered"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kcenter_matches_full_matrix_reference(kind, seed):
    rng = np.random.default_rng(seed)
    if kind == "random":
        points = rng.normal(size=(150, 8)).astype(np.float32)
    else:
        points, _ = clustered(rng, 150, 8, 6)
    order = rng.permutation(150)
    labeled, candidates = order[:10], np.sort(order[10:])
    got = greedy_kcenter(points, labeled, candidates, 25)
    assert got == reference_kcenter(points, labeled.tolist(), candidates.tolist(), 25)


def float64_greedy(points, labeled, candidates, n):
    """Plain greedy k-center in float64, measuring each difference directly."""
    x = points.astype(np.float64)
    nearest = np.full(len(x), np.inf)
    for row in labeled:
        nearest = np.minimum(nearest, ((x - x[row]) ** 2).sum(1))
    outside = np.ones(len(x), dtype=bool)
    outside[candidates] = False
    nearest[outside] = -1
    picks = []
    for _ in range(n):
        best = int(np.argmax(nearest))
        picks.append(best)
        nearest = np.minimum(nearest, ((x - x[best]) ** 2).sum(1))
        nearest[best] = -1
    return picks


@pytest.mark.parametrize(("seed", "shift"), [(0, 30), (1, 30), (2, 30), (3, 3000)])
def test_kcenter_is_exact_on_embeddings_that_share_a_large_common_component(seed, shift):
    """Like mean-pooled LLM states: clusters on top of one large shared vector."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(20, size=2000)
    points = rng.normal(size=32) * shift + rng.normal(size=(20, 32))[labels]
    points = (points + 0.3 * rng.normal(size=(2000, 32))).astype(np.float32)
    unit = points / np.linalg.norm(points, axis=1, keepdims=True)
    assert (unit[:300] @ unit[:300].T).mean() > 0.99  # strongly anisotropic
    order = rng.permutation(2000)
    labeled, candidates = order[:20], np.sort(order[20:])
    expected = float64_greedy(points, labeled, candidates, 150)
    assert greedy_kcenter(points, labeled, candidates, 150) == expected
    assert greedy_kcenter(points, labeled, candidates, 150, prune=False) == expected


def test_kcenter_reaches_every_cluster_before_repeating_one():
    rng = np.random.default_rng(5)
    points, labels = clustered(rng, 300, 16, 12)
    picks = greedy_kcenter(points, np.array([], dtype=int), np.arange(300), 12)
    assert len(picks) == 12
    assert picks[0] == 0  # no labeled point: every gap is infinite; ties go to the lowest index
    assert sorted(labels[picks].tolist()) == sorted(set(labels.tolist()))


def test_kcenter_ties_go_to_lowest_index():
    points = np.array([[0.0, 0.0], [1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    assert greedy_kcenter(points, np.array([0]), np.array([1, 2, 3]), 1) == [1]


def test_registry_lists_strategies_and_names_unknown_ones():
    assert {"kcenter", "random"} <= set(available())
    assert get_strategy("kcenter").needs == "embeddings"
    assert get_strategy("random").needs is None
    for name in ("least_confidence", "margin", "entropy"):
        assert get_strategy(name).needs == "token_scores"
    with pytest.raises(KeyError, match="unknown selection strategy 'bogus'"):
        get_strategy("bogus")


def test_uncertainty_strategies_rank_the_unlabeled_pool():
    max_logit = np.array([0.1, 0.9, 0.2, 0.2, 0.8, 0.05, 0.6, 0.2])
    scores = {"mean_max_logit": max_logit, "mean_logit_margin": max_logit[::-1].copy()}
    scores["mean_entropy"] = 1 - max_logit
    # Probabilities that rank otherwise (a flatter softmax can hide a larger logit).
    scores["mean_max_prob"] = scores["mean_prob_margin"] = -max_logit
    labeled = np.array([5])  # the smallest score is labeled

    def picks(strategy):
        return next_picks(
            8, labeled, strategy=strategy, n_query=3, seed=0, round=1, token_scores=scores
        ).tolist()

    assert picks("least_confidence") == [0, 2, 3]  # 0.2 three times: lowest index first
    assert picks("margin") == [2, 7, 0]  # 0.05, 0.1, then 0.2 at rows 0 and 4
    assert picks("entropy") == picks("least_confidence")
    assert picks("least_confidence_prob") == [1, 4, 6]  # the release's names follow the logits
    assert picks("margin_prob") == [1, 4, 6]
    with pytest.raises(ValueError, match="needs token_scores"):
        next_picks(8, labeled, strategy="entropy", n_query=3, seed=0, round=1)


def run_rounds(n_pool, strategy, seed, embeddings=None, n_round=4, n_query=7, init=9):
    labeled = initial_rows(n_pool, init, seed)
    history = [labeled]
    for round in range(1, n_round + 1):
        picks = next_picks(
            n_pool,
            labeled,
            strategy=strategy,
            n_query=n_query,
            seed=seed,
            round=round,
            embeddings=embeddings,
        )
        labeled = np.concatenate([labeled, picks])
        history.append(labeled)
    return history


@pytest.mark.parametrize("strategy", ["kcenter", "random"])
def test_rounds_keep_pools_disjoint_complete_and_growing(strategy):
    rng = np.random.default_rng(0)
    embeddings, _ = clustered(rng, 80, 4, 5)
    history = run_rounds(80, strategy, seed=3, embeddings=embeddings)
    previous = np.array([], dtype=np.int64)
    for round, labeled in enumerate(history):
        unlabeled = unlabeled_rows(80, labeled)
        assert len(set(labeled.tolist())) == len(labeled) == 9 + 7 * round
        assert not set(labeled.tolist()) & set(unlabeled.tolist())
        assert sorted([*labeled.tolist(), *unlabeled.tolist()]) == list(range(80))
        assert (np.diff(unlabeled) > 0).all()  # the rest of the pool, in pool order
        assert (labeled[: len(previous)] == previous).all()
        previous = labeled
    again = run_rounds(80, strategy, seed=3, embeddings=embeddings)
    assert all((a == b).all() for a, b in zip(again, history, strict=True))
    other = run_rounds(80, strategy, seed=4, embeddings=embeddings)
    assert any((a != b).any() for a, b in zip(other, history, strict=True))


def test_next_picks_refuses_rows_that_are_not_the_pool_s():
    labeled = initial_rows(10, 3, 0)
    with pytest.raises(ValueError, match="not distinct rows of a 10-record pool"):
        next_picks(10, [*labeled, labeled[0]], strategy="random", n_query=2, seed=0, round=1)
    with pytest.raises(ValueError, match="not distinct rows of a 10-record pool"):
        next_picks(10, [*labeled, 10], strategy="random", n_query=2, seed=0, round=1)
    with pytest.raises(ValueError, match="needs embeddings for every pool record"):
        next_picks(10, labeled, strategy="kcenter", n_query=2, seed=0, round=1)


@pytest.mark.parametrize("dtype", ["float32", "bfloat16", "float16"])
def test_kcenter_storage_dtypes_chunking_and_pruning_agree_with_the_reference(dtype):
    import torch

    rng = np.random.default_rng(11)
    points, _ = clustered(rng, 400, 12, 9)
    stored = torch.from_numpy(points).to(getattr(torch, dtype))
    exact = stored.to(torch.float64).numpy()  # the reference sees the stored values
    labeled, candidates = np.arange(5), np.arange(5, 400)
    expected = reference_kcenter(exact, labeled.tolist(), candidates.tolist(), 30)
    for prune in (True, False):
        got = greedy_kcenter(stored, labeled, candidates, 30, chunk_rows=37, prune=prune)
        assert got == expected


def test_pruning_reads_far_less_than_a_pass_per_pick_on_clusters():
    from selfalign.diverse_evol.selection.kcenter import KCenterStats

    rng = np.random.default_rng(2)
    points, _ = clustered(rng, 3000, 32, 40)
    labeled, candidates = np.arange(20), np.arange(20, 3000)
    pruned, full = KCenterStats(), KCenterStats()
    a = greedy_kcenter(points, labeled, candidates, 100, stats=pruned)
    b = greedy_kcenter(points, labeled, candidates, 100, prune=False, stats=full)
    assert a == b
    assert full.rows_read == 101 * len(points)  # the fold-in, then one pass a pick
    assert pruned.rows_read * 3 < full.rows_read


def test_token_score_ids_stay_text(tmp_path):
    from selfalign.diverse_evol.embedding import TOKEN_SCORES
    from selfalign.diverse_evol.token_scores import read_token_scores, write_token_scores

    ids = ["007", "NA", "1e3", "x"]
    scores = {name: np.arange(4, dtype=np.float64) / (i + 1) for i, name in enumerate(TOKEN_SCORES)}
    write_token_scores(ids, scores, tmp_path / "rd_0.tsv")
    back = read_token_scores(tmp_path / "rd_0.tsv", ids)
    for name in TOKEN_SCORES:
        np.testing.assert_allclose(back[name], scores[name], rtol=1e-7)
    with pytest.raises(ValueError, match="ids are not the pool's"):
        read_token_scores(tmp_path / "rd_0.tsv", ["7", "NA", "1e3", "x"])


def release_whiten(x, n_components):
    """The DiverseEvol release's whitening (utils.py: compute_kernel_bias,
    transform_and_normalize), in torch as it runs it."""
    import torch

    x = torch.tensor(x, dtype=torch.float32)
    mu = x.mean(axis=0, keepdims=True)
    u, s, _ = torch.linalg.svd(torch.cov(x.t()))
    kernel = torch.mm(u, torch.diag(1 / torch.sqrt(s)))[:, :n_components]
    y = torch.mm(x - mu, kernel)
    return (y / (y**2).sum(dim=1, keepdims=True) ** 0.5).numpy()


def test_whitening_is_the_releases_and_k_center_picks_alike_on_it(monkeypatch):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 12)) @ rng.normal(size=(12, 12)) + 500.0  # correlated, offset
    ours, release = whiten(x, 6), release_whiten(x, 6)
    assert ours.shape == (300, 6)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    distances = [np.linalg.norm(w[:, None] - w[None], axis=-1) for w in (ours, release)]
    assert np.allclose(*distances, atol=1e-3)  # the same up to each axis's sign
    monkeypatch.setattr(whitening, "CHUNK_ROWS", 7)  # a pool read in many chunks: the same
    assert np.allclose(whiten(x, 6), ours, atol=1e-5)
    candidates = np.arange(2, 300)
    picks = [greedy_kcenter(w, np.array([0, 1]), candidates, 20) for w in (ours, release)]
    assert list(picks[0]) == list(picks[1])


def test_vendi_sampling_keeps_the_most_diverse_of_its_draws():
    rng = np.random.default_rng(0)
    points, labels = clustered(rng, 400, 8, 4)
    labeled = np.flatnonzero(labels == 0)[:20]  # every labeled record in one cluster
    score = {}
    for rank in (0, -1):
        picks = next_picks(
            400, labeled, strategy="vendi", n_query=10, seed=0, round=1,
            embeddings=points, options={"draws": 30, "rank": rank},
        )  # fmt: skip
        score[rank] = vendi_score(points[np.concatenate([labeled, picks])])
    randoms = [
        vendi_score(points[np.concatenate([labeled, next_picks(
            400, labeled, strategy="random", n_query=10, seed=s, round=1)])])
        for s in range(30)
    ]  # fmt: skip
    assert score[0] >= max(randoms[:5]) and score[0] > np.mean(randoms) > score[-1]
