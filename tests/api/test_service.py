"""The redemption service over real HTTP: auth, validation, single use, idempotency, budget."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from typing import Any

import httpx
import pytest
from coupondesk.tools.access.api_keys import revoke_api_key
from coupondesk.tools.db.schema import (
    Campaign,
    IdempotencyKey,
    IssuedCoupon,
    Redemption,
    RedemptionRefusal,
)
from coupondesk.tools.db.session import get_engine
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.api.conftest import Server, make_key
from tests.outcomes.issued import catalog, issue


def body(code: str, household: int | None, coffee_id: int, coffee: float = 40.0,
         **extra: Any) -> dict[str, Any]:
    return {"code": code, "household_id": household,
            "basket": {"total": coffee + 5.0,
                       "lines": [{"product_id": coffee_id, "quantity": 1, "amount": coffee}]},
            **extra}


def count(url: str, model: type, *where: Any) -> int:
    with Session(get_engine(url)) as session:
        return int(session.execute(select(func.count()).select_from(model).where(*where))
                   .scalar_one())


def idem() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


ENDPOINTS = [
    ("POST", "/v1/redemptions/validate"),
    ("POST", "/v1/redemptions"),
    ("GET", "/v1/coupons/CD-0000-0000-0000"),
    ("POST", "/v1/coupons/CD-0000-0000-0000/void"),
    ("GET", "/v1/health"),
]


def test_every_endpoint_needs_a_valid_key(server: Server) -> None:
    products = catalog(server.db_url)
    name = f"revoked-{uuid.uuid4().hex[:6]}"
    revoked = make_key(server.db_url, name)
    with server.client(revoked) as client:
        assert client.get("/v1/health").status_code == 200
    with Session(get_engine(server.db_url)) as session, session.begin():
        revoke_api_key(session, name)
    payload = body("CD-0000-0000-0000", None, products.coffee)
    refusals_before = count(server.db_url, RedemptionRefusal)
    for key in (None, "cdk_not-a-real-key", "Basic abc", revoked):
        with server.client(key) as client:
            for method, path in ENDPOINTS:
                answer = client.request(method, path, json=payload, headers=idem())
                assert answer.status_code == 401, (key, path, answer.text)
                assert answer.headers["www-authenticate"] == "Bearer"
            # a malformed body without a key is still 401, not 422
            bad = client.post("/v1/redemptions", content=b"{not json", headers=idem())
            assert bad.status_code == 401
    assert count(server.db_url, RedemptionRefusal) == refusals_before


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b["basket"].update(total=-1), "basket.total"),
        (lambda b: b["basket"]["lines"][0].update(quantity=0), "basket.lines.0.quantity"),
        (lambda b: b["basket"].update(total=1.0), "basket"),  # below the lines
        (lambda b: b.pop("basket"), "basket"),
        (lambda b: b.update(code=""), "code"),
        (lambda b: b.update(household_id="someone"), "household_id"),
        (lambda b: b.update(surprise=1), "surprise"),
    ],
)
def test_malformed_body_is_422_naming_the_field_and_writes_nothing(
    server: Server, mutate: Any, field: str
) -> None:
    products = catalog(server.db_url)
    _campaign, [(code, household)] = issue(server.db_url, n=1)
    payload = body(code, household, products.coffee)
    mutate(payload)
    before = (count(server.db_url, RedemptionRefusal), count(server.db_url, IdempotencyKey))
    with server.client(server.checkout_key) as client:
        for path in ("/v1/redemptions/validate", "/v1/redemptions"):
            answer = client.post(path, json=payload, headers=idem())
            assert answer.status_code == 422, answer.text
            assert answer.json()["field"] == field, answer.json()
    after = (count(server.db_url, RedemptionRefusal), count(server.db_url, IdempotencyKey))
    assert after == before
    assert count(server.db_url, Redemption, Redemption.code == code) == 0


def test_redeem_needs_an_idempotency_key(server: Server) -> None:
    products = catalog(server.db_url)
    _campaign, [(code, household)] = issue(server.db_url, n=1)
    with server.client(server.checkout_key) as client:
        answer = client.post("/v1/redemptions", json=body(code, household, products.coffee))
    assert answer.status_code == 422 and answer.json()["field"] == "Idempotency-Key"
    assert count(server.db_url, Redemption, Redemption.code == code) == 0


def test_validate_redeem_and_read_back(server: Server) -> None:
    products = catalog(server.db_url)
    campaign_id, [(code, household)] = issue(server.db_url, n=1, max_discount=5.0)
    with server.client(server.checkout_key) as client:
        check = client.post("/v1/redemptions/validate",
                            json=body(code.lower(), household, products.coffee, coffee=20.0))
        assert check.status_code == 200
        assert check.json() == {"code": code, "valid": True, "discount": 3.0, "reasons": [],
                                "partial": False}
        redeemed = client.post("/v1/redemptions", headers=idem(),
                               json=body(code, household, products.coffee, coffee=100.0,
                                         order_id="order-1"))
        assert redeemed.status_code == 201, redeemed.text
        answer = redeemed.json()
        assert answer["redeemed"] and answer["discount"] == 5.0  # 15% of $100, capped at $5
        assert answer["campaign_id"] == campaign_id and answer["order_id"] == "order-1"
        assert answer["redeemed_at"].startswith("2018-01-04")
        coupon = client.get(f"/v1/coupons/{code}").json()
        assert coupon["status"] == "redeemed" and coupon["discount"] == 5.0
        assert coupon["max_discount"] == 5.0 and coupon["valid_to"] == "2018-01-08"
        again = client.post("/v1/redemptions/validate", json=body(code, household, products.coffee))
        assert again.json()["reasons"] == ["already_redeemed"]
        second = client.post("/v1/redemptions", headers=idem(),
                             json=body(code, household, products.coffee))
        assert second.status_code == 409 and second.json()["reasons"] == ["already_redeemed"]
        assert client.get("/v1/coupons/CD-NONE-NONE-NONE").status_code == 404
    with Session(get_engine(server.db_url)) as session:
        row = session.execute(select(Redemption).where(Redemption.code == code)).scalar_one()
        assert (row.source, row.discount, row.api_key_id is not None) == ("service", 5.0, True)


@pytest.mark.parametrize(
    ("terms", "attempt", "status", "reason"),
    [
        ({}, {"code": "CD-ZZZZ-ZZZZ-ZZZZ"}, 404, "unknown_code"),
        ({}, {"household_id": -5}, 422, "wrong_household"),
        ({"valid_from": date(2018, 1, 5), "valid_to": date(2018, 1, 9)}, {}, 422, "not_yet_valid"),
        ({"valid_from": date(2017, 12, 1), "valid_to": date(2018, 1, 3)}, {}, 422, "expired"),
        ({"kind": "amount_off", "value": 2, "min_spend": 50}, {}, 422, "min_spend_not_met"),
        ({"categories": ("FROZEN PIZZA",)}, {}, 422, "nothing_in_scope"),
        ({"budget": 1.0}, {}, 409, "budget_exhausted"),
    ],
)
def test_refusals_map_to_status_codes(server: Server, terms: dict[str, Any],
                                      attempt: dict[str, Any], status: int, reason: str) -> None:
    products = catalog(server.db_url)
    _campaign, [(code, household)] = issue(server.db_url, n=1, **terms)
    payload = {**body(code, household, products.coffee), **attempt}
    with server.client(server.checkout_key) as client:
        validated = client.post("/v1/redemptions/validate", json=payload).json()
        assert validated["valid"] is False and validated["reasons"] == [reason]
        answer = client.post("/v1/redemptions", json=payload, headers=idem())
    assert answer.status_code == status and answer.json()["reasons"] == [reason]


def test_idempotent_retry_returns_the_first_answer(server: Server) -> None:
    products = catalog(server.db_url)
    _campaign, [(code, household)] = issue(server.db_url, n=1)
    key = idem()
    payload = body(code, household, products.coffee)
    with server.client(server.checkout_key) as client:
        first = client.post("/v1/redemptions", json=payload, headers=key)
        retry = client.post("/v1/redemptions", json=payload, headers=key)
        assert first.status_code == retry.status_code == 201
        assert retry.json() == first.json() and retry.headers["idempotent-replayed"] == "true"
        changed = client.post("/v1/redemptions", headers=key,
                              json=body(code, household, products.coffee, coffee=60.0))
        assert changed.status_code == 422 and changed.json()["field"] == "Idempotency-Key"
    # the same key from another API key is another request
    with server.client(server.operator_key) as other:
        elsewhere = other.post("/v1/redemptions", json=payload, headers=key)
    assert elsewhere.status_code == 409 and elsewhere.json()["reasons"] == ["already_redeemed"]
    assert count(server.db_url, Redemption, Redemption.code == code) == 1


def test_void_is_for_operator_keys(server: Server) -> None:
    products = catalog(server.db_url)
    campaign_id, [(code, household), (redeemed, h2)] = issue(server.db_url, n=2)
    with server.client(server.checkout_key) as checkout:
        assert checkout.post(f"/v1/coupons/{code}/void").status_code == 403
        assert checkout.post("/v1/redemptions", headers=idem(),
                             json=body(redeemed, h2, products.coffee)).status_code == 201
    with server.client(server.operator_key) as operator:
        voided = operator.post(f"/v1/coupons/{code}/void", json={"reason": "reported stolen"})
        assert voided.status_code == 200 and voided.json()["status"] == "void"
        assert operator.post(f"/v1/coupons/{code}/void").status_code == 200  # twice: no change
        assert operator.post(f"/v1/coupons/{redeemed}/void").status_code == 409
        assert operator.post("/v1/coupons/CD-NONE-NONE-NONE/void").status_code == 404
    with server.client(server.checkout_key) as checkout:
        answer = checkout.post("/v1/redemptions", headers=idem(),
                               json=body(code, household, products.coffee))
    assert answer.status_code == 409 and answer.json()["reasons"] == ["void"]


async def _many(server: Server, payloads: list[dict[str, Any]]) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=len(payloads), max_keepalive_connections=0)
    headers = {"Authorization": f"Bearer {server.checkout_key}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers, timeout=120,
                                 limits=limits) as client:
        return await asyncio.gather(*(
            client.post("/v1/redemptions", json=p, headers=idem()) for p in payloads))


def test_fifty_concurrent_clients_redeem_one_code_once(server: Server) -> None:
    products = catalog(server.db_url)
    campaign_id, [(code, household)] = issue(server.db_url, n=1, budget=1000.0)
    answers = asyncio.run(_many(server, [body(code, household, products.coffee)] * 50))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] + [409] * 49, statuses
    assert {tuple(a.json()["reasons"]) for a in answers if a.status_code == 409} == {
        ("already_redeemed",)}
    assert count(server.db_url, Redemption, Redemption.code == code) == 1
    assert count(server.db_url, RedemptionRefusal, RedemptionRefusal.code == code) == 49
    with Session(get_engine(server.db_url)) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        assert (campaign.redeemed_count, campaign.redeemed_discount) == (1, 6.0)


def test_thirty_clients_with_budget_for_eight(server: Server) -> None:
    products = catalog(server.db_url)
    campaign_id, codes = issue(server.db_url, n=30, budget=48.0)  # $6 each: room for 8
    answers = asyncio.run(_many(server, [body(c, h, products.coffee) for c, h in codes]))
    statuses = [a.status_code for a in answers]
    assert statuses.count(201) == 8, statuses
    assert statuses.count(409) == 22
    assert {tuple(a.json()["reasons"]) for a in answers if a.status_code == 409} == {
        ("budget_exhausted",)}
    with Session(get_engine(server.db_url)) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        assert (campaign.redeemed_count, campaign.redeemed_discount) == (8, 48.0)
        redeemed = session.execute(select(func.count()).select_from(IssuedCoupon).where(
            IssuedCoupon.campaign_id == campaign_id, IssuedCoupon.status == "redeemed")
        ).scalar_one()
        assert redeemed == 8


def test_openapi_docs_are_served(server: Server) -> None:
    with httpx.Client(base_url=server.base_url) as client:
        schema = client.get("/openapi.json").json()
        assert client.get("/docs").status_code == 200
    assert {"/v1/redemptions", "/v1/redemptions/validate", "/v1/coupons/{code}",
            "/v1/coupons/{code}/void"} <= set(schema["paths"])
