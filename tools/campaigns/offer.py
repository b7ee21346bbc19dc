"""The coupon offer: what a recipient gets, in one typed value shared by every layer.

The same shape is the `offer` of a CampaignPlan, the OFFER_JSON of `check-offer`/`check-copy`,
the input of the copywriter and the terms stored on each issued coupon.
"""

from __future__ import annotations

import json
import math
from typing import Any, Literal

from coupondesk.tools.errors import BadInputError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

OfferKind = Literal["percent_off", "amount_off"]


class Offer(BaseModel):
    """A coupon offer. `value` is 15 for 15% off (percent_off) or 5 for $5 off (amount_off)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    kind: OfferKind
    """percent_off: value is a percentage of the qualifying spend; amount_off: value is dollars."""
    value: float
    """15 means 15% for percent_off and $15 for amount_off. Range is a policy question."""
    min_spend: float | None = None
    """Qualifying spend in dollars needed to use the coupon; None = no minimum."""
    valid_days: int
    """Days the coupon is valid from issue."""
    departments: list[str] = Field(default_factory=list)
    """Catalog departments covered (catalog spelling); no departments or categories = storewide."""
    categories: list[str] = Field(default_factory=list)
    """Catalog product categories the coupon covers (catalog spelling)."""
    max_discount: float | None = None
    """Most dollars one redemption of a percent offer takes ("15% off, up to $5"); None = no cap.
    Only a percent offer has one: an amount off is its own cap."""

    @field_validator("departments", "categories")
    @classmethod
    def _strip_names(cls, names: list[str]) -> list[str]:
        return [n.strip() for n in names if n and n.strip()]

    @field_validator("max_discount")
    @classmethod
    def _cap_valid(cls, cap: float | None, info: ValidationInfo) -> float | None:
        if cap is None:
            return None
        if info.data.get("kind") == "amount_off":
            raise ValueError("a cap applies only to a percent_off offer (an amount off is its "
                             "own cap)")
        if not math.isfinite(cap) or cap <= 0:
            raise ValueError(f"the cap must be a positive amount of dollars, not {cap:g}")
        return cap

    @property
    def storewide(self) -> bool:
        """True when the offer names no department and no category."""
        return not self.departments and not self.categories

    def discount_on(self, spend: float) -> float:
        """Dollars one redemption on `spend` takes: the amount, or the percent up to the cap."""
        if self.kind == "amount_off":
            return float(self.value)
        discount = self.value / 100.0 * spend
        return min(discount, self.max_discount) if self.max_discount is not None else discount

    def to_json_dict(self) -> dict[str, Any]:
        """The OFFER_JSON shape of the command-line contract."""
        return self.model_dump(mode="json")


def parse_offer_json(text: str) -> Offer:
    """Parse OFFER_JSON from the command line; a structural problem is a one-line BadInputError."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInputError(f"offer is not valid JSON: {exc.msg} at char {exc.pos}") from exc
    if not isinstance(raw, dict):
        raise BadInputError("offer must be a JSON object")
    try:
        return Offer.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "offer"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise BadInputError(f"offer.{where}: {message}") from exc
