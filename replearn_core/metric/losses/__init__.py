"""Metric-learning losses, one per file, as pure functions of embeddings and labels."""

from replearn_core.metric.losses.arcface import ArcFace, arcface_logits, arcface_loss
from replearn_core.metric.losses.contrastive import balanced_pairs, contrastive_loss, siamese_loss
from replearn_core.metric.losses.supcon import supcon_loss
from replearn_core.metric.losses.triplet import (batch_all_triplets, batch_hard_triplets, pairwise_distances,
                                                 triplet_loss, triplet_margin_loss)

__all__ = ["ArcFace", "arcface_logits", "arcface_loss", "balanced_pairs", "batch_all_triplets",
           "batch_hard_triplets", "contrastive_loss", "pairwise_distances", "siamese_loss", "supcon_loss",
           "triplet_loss", "triplet_margin_loss"]
