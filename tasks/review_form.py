"""The typed review form shown in the Prefect UI and sent by `aigc review`.

The form is built per run with the run's SKUs as an enum, so the Prefect server itself refuses
an unknown SKU when the input arrives (and the run keeps waiting), whichever client sent it.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, create_model


def review_form(skus: list[str]) -> Any:
    from prefect.input import RunInput

    sku_type: Any = Literal[tuple(skus)] if skus else str  # type: ignore[valid-type]
    rejection = create_model(
        "Rejection",
        sku=(sku_type, Field(description="SKU to reject")),
        reason=(str, Field(min_length=3, description="why; fed into the next generation")),
    )
    return create_model(
        "ReviewForm",
        __base__=RunInput,
        reviewer=(str, Field(min_length=1, description="your name, kept with each decision")),
        approve_all_passed=(
            bool,
            Field(default=False, description="approve everything without a blocking finding"),
        ),
        approve=(list[sku_type], Field(default_factory=list, description="SKUs to approve")),
        reject=(list[rejection], Field(default_factory=list, description="SKUs to reject, with reasons")),
    )
