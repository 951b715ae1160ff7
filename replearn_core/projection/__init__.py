"""2-D maps of what a run learned: PCA, t-SNE and UMAP as scikit-learn-style estimators, their scores,
exports, and :func:`map_run`, the function the Feature maps page and ``python -m replearn_core project``
both call."""

from replearn_core.projection.export import coordinates_csv, projector_tsv, read_coordinates_csv, read_projector_tsv
from replearn_core.projection.explore import (SelectionError, browser_payload, density_grid, map_clusters,
                                              nearest_point, point_neighbours, selection_csv, selection_summary,
                                              selection_zip, spatial_index)
from replearn_core.projection.maps import (MAX_POINTS, PROJECTIONS, FeatureMap, FeatureMapError, Projection,
                                           estimate_seconds, evaluation_config, fits, make_projection, map_images,
                                           map_run, max_points, projection_limits, projection_params,
                                           projection_ready, run_features, run_scores, start_warm_up, warm_up)

# the estimators and scores pull in numba and scipy (a second or more on a fresh server): imported on first use,
# so a page that draws a shipped map (replearn_core.projection.maps.shipped_map) does not wait for them
_LAZY = {"PCA": "pca", "TSNE": "tsne", "UMAP": "umap", "kmeans_nmi": "scores", "map_silhouette": "scores",
         "score_features": "scores"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f"replearn_core.projection.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["SelectionError", "browser_payload", "density_grid", "map_clusters", "nearest_point", "point_neighbours",
           "selection_csv", "selection_summary", "selection_zip", "spatial_index", "estimate_seconds", "fits",
           "max_points", "projection_limits", "projection_ready", "MAX_POINTS", "PCA", "PROJECTIONS", "Projection", "TSNE", "UMAP", "FeatureMap", "FeatureMapError",
           "coordinates_csv", "evaluation_config", "kmeans_nmi", "make_projection", "map_images", "map_run",
           "map_silhouette", "projection_params", "projector_tsv", "read_coordinates_csv", "read_projector_tsv", "run_features",
           "run_scores", "score_features", "start_warm_up", "warm_up"]
