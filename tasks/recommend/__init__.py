"""Recommendations and audience personalization (issue 8): similar, complementary and segment picks
with the copy that presents them. Call `recommend(products, store, settings, events=..., day=...)`."""

from tasks.recommend.run import RecommendSummary, recommend

__all__ = ["RecommendSummary", "recommend"]
