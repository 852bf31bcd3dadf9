"""Step 3: curate the pairs — embed them, flag failed edits, pick a small diverse subset, map them.

    result = curate(project, CurateSettings(k=24))

1. embed each pair's input, output and edit (`features`; cached, only new pairs are embedded);
2. flag probable failures: no visible change, destroyed content, outliers (`flags`);
3. select K pairs by similarity clustering, E2GAN's data reduction, or at random (`select`), honouring the
   curator's manual includes/excludes; flagged pairs are left out unless included;
4. lay the pairs out on a 2-D UMAP map (`projection`) for the studio and a PNG (`plot`).

Writes `curate/selection.json` (the training set the Train step uses), `curate/analysis.json` (flags and
scores), `curate/manual.json` (the curator's choices, kept across re-clustering) and `curate/map.png`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from e2gan import atomic, pairs
from e2gan.curate.features import pair_features
from e2gan.curate.flags import flag_pairs
from e2gan.curate.projection import project_2d
from e2gan.curate.select import Selection, select
from e2gan.progress import ProgressFn
from e2gan.project import Project, now_iso


@dataclass
class CurateSettings:
    k: int = 24  # size of the training subset
    method: str = "cluster"  # cluster (E2GAN) | random (baseline)
    embedder: str = "offline"  # offline | clip:MODEL/PRETRAINED
    seed: int = 0
    skip_flagged: bool = True  # leave flagged pairs out unless included by hand


@dataclass
class CurateResult:
    settings: CurateSettings
    selection: Selection
    points: list[dict] = field(default_factory=list)  # for the map: id, x, y, cluster, selected, flags, excluded, label
    analysis: dict[str, dict] = field(default_factory=dict)
    embedded: int = 0  # images embedded in this call (0 when everything was cached)

    @property
    def flagged(self) -> list[str]:
        return [i for i, a in self.analysis.items() if a["flags"]]

    @property
    def note(self) -> str:
        """Why fewer than K pairs were selected, if they were (K larger than the usable data)."""
        chosen = len(self.selection.ids)
        if chosen >= self.settings.k:
            return ""
        return f"K={self.settings.k} is more than the {chosen} pairs available, so all of them are used."


def read_manual(project: Project) -> dict[str, list[str]]:
    try:
        doc = atomic.read_json(project.curate_dir / "manual.json")
        return {"include": list(doc.get("include", [])), "exclude": list(doc.get("exclude", []))}
    except (OSError, ValueError):
        return {"include": [], "exclude": []}


def set_manual(project: Project, ids: list[str], action: str) -> dict[str, list[str]]:
    """`include`, `exclude` or `clear` pairs by hand; kept in `curate/manual.json` across re-clustering."""
    if action not in ("include", "exclude", "clear"):
        raise ValueError("action must be include, exclude or clear")
    with project.lock("curate"):
        manual = read_manual(project)
        for key in ("include", "exclude"):
            manual[key] = [i for i in manual[key] if i not in ids]
        if action != "clear":
            manual[action] += list(dict.fromkeys(ids))
        atomic.write_json(project.curate_dir / "manual.json", manual)
    return manual


def curate(project: Project, settings: CurateSettings | None = None, progress: ProgressFn | None = None, save: bool = True) -> CurateResult:
    """Embed, flag and select; `save=False` only previews (the map on arrival): the training set and the
    later steps stay as they are."""
    settings = settings or CurateSettings()
    candidates = pairs.usable_pairs(project)
    if not candidates:
        raise ValueError("no usable pairs to curate: generate pairs first (Teach)")
    features = pair_features(project, candidates, settings.embedder, progress)
    analysis_path = project.curate_dir / "analysis.json"
    try:
        pixel_cache = atomic.read_json(analysis_path).get("pixel_cache", {})
    except (OSError, ValueError):
        pixel_cache = {}
    analysis = flag_pairs(project, candidates, features, pixel_cache)
    atomic.write_json(analysis_path, {"pairs": analysis, "pixel_cache": pixel_cache})

    manual = read_manual(project)
    include = set(manual["include"])
    exclude = set(manual["exclude"])
    if settings.skip_flagged:
        exclude |= {i for i, a in analysis.items() if a["flags"] and i not in include}
    vectors = features.vectors()
    selection = select(features.ids, vectors, settings.k, settings.method, settings.seed, include, exclude)
    coords = project_2d(project, features.ids, vectors, settings.embedder, settings.seed)

    chosen = set(selection.ids)
    names = _source_names(project)
    points = [
        {
            "id": pid, "x": float(x), "y": float(y), "cluster": selection.clusters.get(pid, -1),
            "selected": pid in chosen, "flags": analysis[pid]["flags"], "excluded": pid in exclude,
            "label": names.get(pid, pid[:8]),
        }  # fmt: skip
        for pid, (x, y) in zip(features.ids, coords)
    ]
    if save:
        _save_selection(project, settings, selection, len(candidates))
        _save_png(project, points, settings, len(selection.ids), len(candidates))
    return CurateResult(settings, selection, points, analysis, features.computed)


def _source_names(project: Project) -> dict[str, str]:
    from e2gan import sources

    return {e["id"]: e["name"] for e in sources.list_sources(project)}


def _save_selection(project: Project, settings: CurateSettings, selection: Selection, n: int) -> None:
    """Write the selection; later steps become stale only if the training set really changed."""
    previous = read_selection(project)
    if previous and previous.get("ids") == selection.ids and previous.get("candidates") == n:
        return
    atomic.write_json(
        project.curate_dir / "selection.json",
        {**asdict(settings), "ids": selection.ids, "clusters": selection.clusters, "candidates": n, "time": now_iso()},
    )
    project.set_step("curate", "done", f"{len(selection.ids)} of {n} pairs selected ({settings.method})")
    project.mark_downstream_stale("curate")


def _save_png(project: Project, points, settings: CurateSettings, k: int, n: int) -> None:
    from e2gan.curate.plot import png

    img = png(points, title=f"{project.name}: {k} of {n} pairs selected by {settings.method} ({settings.embedder})")
    atomic.write_with(project.curate_dir / "map.png", lambda f: img.save(f, format="PNG"))


def selected_pair_ids(project: Project) -> list[str] | None:
    """The curated training set (Curate step), or None to use every usable pair."""
    try:
        return list(atomic.read_json(project.curate_dir / "selection.json")["ids"])
    except (OSError, ValueError, KeyError):
        return None


def read_selection(project: Project) -> dict | None:
    try:
        return atomic.read_json(project.curate_dir / "selection.json")
    except (OSError, ValueError):
        return None
