"""The recommendation flow: load products (catalog or snapshot) -> recommend -> summary.

Thin by design: both steps are plain functions in `tasks.recommend`; the flow orders them and carries
only the source, keys and the small summary between them.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, task


@task(name="load-products", retries=1)
def load_products_task(source: str, config: str | None = None, mapping: str | None = None) -> list:
    from tasks.recommend.source import load_products
    from tasks.settings import load_settings
    from tasks.storage import store_from_settings

    settings = load_settings(config)
    return load_products(source, store_from_settings(settings), mapping=mapping, settings=settings)


@task(name="recommend")
def recommend_task(
    products: list, config: str | None = None, events: str | None = None, day: str | None = None
) -> dict[str, Any]:
    from tasks.recommend import recommend
    from tasks.settings import load_settings
    from tasks.storage import store_from_settings

    settings = load_settings(config)
    return recommend(products, store_from_settings(settings), settings, events=events, day=day).as_dict()


@flow(name="recommend", log_prints=False)
def recommend_flow(
    source: str,
    events: str | None = None,
    day: str | None = None,
    config: str | None = None,
    mapping: str | None = None,
) -> dict[str, Any]:
    """Similar, complementary and segment recommendations plus their copy for one catalog."""
    products = load_products_task(source, config, mapping)
    return recommend_task(products, config, events, day)
