"""API keys of the redemption service: created once, shown once, stored only as SHA-256.

A key is `cdk_` + 32 random bytes (URL-safe base64). The table keeps its SHA-256 and a short
prefix for display, so a leaked table (or backup) grants nothing; revocation is a timestamp and
takes effect on the next request (keys are looked up on every request, never cached).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime
from typing import Literal

from coupondesk.tools.db.schema import ApiKey
from coupondesk.tools.errors import BadInputError, NotFoundError, RefusedError
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

Role = Literal["checkout", "operator"]
ROLES: tuple[Role, ...] = ("checkout", "operator")
KEY_PREFIX = "cdk_"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MAX_KEY_LENGTH = 128
"""Longer presented keys are refused before hashing (no key this module makes is longer)."""


class ApiKeyInfo(BaseModel):
    """An API key as listed: never the key itself."""

    id: int
    name: str
    prefix: str
    role: Role
    created_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        """True until the key is revoked."""
        return self.revoked_at is None


class CreatedKey(BaseModel):
    """A new key: its record and the secret, which exists nowhere else after this."""

    info: ApiKeyInfo
    secret: str


def hash_key(secret: str) -> str:
    """SHA-256 hex of a presented key (keys are 256 random bits: no salt or stretching needed)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _info(row: ApiKey) -> ApiKeyInfo:
    return ApiKeyInfo(
        id=row.id, name=row.name, prefix=row.prefix, role=row.role,  # type: ignore[arg-type]
        created_at=row.created_at, revoked_at=row.revoked_at,
    )


def create_api_key(session: Session, name: str, *, role: str = "checkout") -> CreatedKey:
    """A new key named `name` with `role`; the secret is returned here and never stored."""
    if not NAME_PATTERN.match(name):
        raise BadInputError(
            f"api key name {name!r}: use 1-64 letters, digits, '.', '_' or '-', starting with "
            "a letter or digit"
        )
    if role not in ROLES:
        raise BadInputError(f"api key role {role!r}: use one of {', '.join(ROLES)}")
    exists = session.execute(select(ApiKey.id).where(ApiKey.name == name)).scalar_one_or_none()
    if exists is not None:
        raise RefusedError(f"an api key named {name!r} exists already (revoke it or pick a name)")
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(name=name, prefix=secret[: len(KEY_PREFIX) + 6], key_hash=hash_key(secret),
                 role=role)
    session.add(row)
    session.flush()
    session.refresh(row)
    return CreatedKey(info=_info(row), secret=secret)


def revoke_api_key(session: Session, name: str) -> ApiKeyInfo:
    """Revoke the key named `name` (revoking twice keeps the first time)."""
    row = session.execute(
        select(ApiKey).where(ApiKey.name == name).with_for_update()
    ).scalar_one_or_none()
    if row is None:
        raise NotFoundError(f"no api key named {name!r}")
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC).replace(tzinfo=None)
        session.flush()
    return _info(row)


def list_api_keys(session: Session) -> list[ApiKeyInfo]:
    """Every key, active and revoked, by name."""
    return [_info(r) for r in session.execute(select(ApiKey).order_by(ApiKey.name)).scalars()]


def authenticate(session: Session, secret: str | None) -> ApiKeyInfo | None:
    """The active key `secret` belongs to, or None (missing, unknown or revoked)."""
    if not secret or len(secret) > MAX_KEY_LENGTH or not secret.startswith(KEY_PREFIX):
        return None
    row = session.execute(
        select(ApiKey).where(ApiKey.key_hash == hash_key(secret), ApiKey.revoked_at.is_(None))
    ).scalar_one_or_none()
    return None if row is None else _info(row)
