"""One router per resource: redemptions, coupons, health."""
