"""Choosing the training subset: E2GAN's similarity clustering, a random baseline, manual overrides.

Clustering (the paper's third technique): k-means on the pair features into K clusters and keep, from
each, the pair nearest its centre: a small set that still covers every kind of photo and edit.
Manual choices win: included pairs are always selected (and count toward K), excluded ones never; the
rest is clustered into K − (number included) clusters. Deterministic for a seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

METHODS = ("cluster", "random")


@dataclass
class Selection:
    ids: list[str]  # the training subset, in cluster order
    clusters: dict[str, int] = field(default_factory=dict)  # every candidate pair → its cluster (-1: manual)
    centre_distance: dict[str, float] = field(default_factory=dict)


def select(
    ids: list[str],
    vectors: np.ndarray,
    k: int,
    method: str = "cluster",
    seed: int = 0,
    include: set[str] = frozenset(),
    exclude: set[str] = frozenset(),
) -> Selection:
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}")
    if k < 1:
        raise ValueError("K must be at least 1")
    included = [i for i in ids if i in include and i not in exclude]
    pool = [j for j, i in enumerate(ids) if i not in exclude and i not in include]
    want = min(k, len(included) + len(pool)) - len(included)
    if want <= 0:
        return Selection(included[:k], {i: -1 for i in included})
    if method == "random":
        rng = np.random.default_rng(seed)
        picked = sorted(rng.choice(len(pool), size=want, replace=False).tolist())
        return Selection(included + [ids[pool[p]] for p in picked], {i: -1 for i in included})
    from sklearn.cluster import KMeans

    X = vectors[pool]
    km = KMeans(n_clusters=want, n_init=10, random_state=seed).fit(X)
    distances = km.transform(X)  # (n, K) distance of every pair to every centre
    chosen = []
    for c in range(want):
        members = np.flatnonzero(km.labels_ == c)
        chosen.append(pool[members[np.argmin(distances[members, c])]])
    clusters = {ids[pool[j]]: int(km.labels_[j]) for j in range(len(pool))} | {i: -1 for i in included}
    centre = {ids[pool[j]]: float(distances[j, km.labels_[j]]) for j in range(len(pool))}
    return Selection(included + [ids[j] for j in chosen], clusters, centre)
