"""Idempotency-Key handling as Stripe does it: the first answer is stored per API key and key.

A retry with the same key and the same body gets the stored answer (status and body, with
`Idempotent-Replayed: true`); the same key with a different body is refused with 422, as the
IETF Idempotency-Key draft says. Answers are stored in the transaction that redeems, so a
stored answer always describes what was committed. Malformed requests never reach the
endpoint, so nothing is stored for them.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from coupondesk.tools.db.schema import IdempotencyKey
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session


class StoredAnswer(BaseModel):
    """The first answer given to a key."""

    request_hash: str
    status_code: int
    response: dict[str, Any]


def fingerprint(route: str, body: BaseModel) -> str:
    """SHA-256 of the route and the body's canonical JSON (key order and spacing ignored)."""
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{route}\n{canonical}".encode()).hexdigest()


def stored_answer(session: Session, api_key_id: int, key: str) -> StoredAnswer | None:
    """The answer stored for (API key, Idempotency-Key), if any."""
    row = session.execute(
        select(IdempotencyKey).where(
            IdempotencyKey.api_key_id == api_key_id, IdempotencyKey.key == key
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    return StoredAnswer(request_hash=row.request_hash, status_code=row.status_code,
                        response=dict(row.response))


def store_answer(
    session: Session, api_key_id: int, key: str, answer: StoredAnswer
) -> None:
    """Store the first answer in the caller's transaction (a concurrent twin fails on commit)."""
    session.add(
        IdempotencyKey(api_key_id=api_key_id, key=key, request_hash=answer.request_hash,
                       status_code=answer.status_code, response=answer.response)
    )
    session.flush()
