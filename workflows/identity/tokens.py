"""Bearer tokens of officials: short-lived HS256 access JWTs and rotating refresh JWTs.

Access tokens are checked against the database on every request (disabled officials and a bumped
`token_version` lose access at once). Refresh tokens are single-use: each refresh revokes the presented
token and issues its successor in the same family; presenting a revoked one again means it was stolen or
replayed, so the whole family is revoked (raise `RefreshTokenReused`, whose revocation the caller should
commit although the request fails). Expiry is checked against the caller's `now`, not the system clock.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from sqlalchemy import update
from sqlmodel import Session, col, select

from workflows.core.clock import ensure_utc
from workflows.core.config import AuthSettings
from workflows.core.db import memo
from workflows.core.errors import NotAuthenticated
from workflows.identity.models import Department, Official, RefreshToken

ALGORITHM = "HS256"
ACCESS = "access"
REFRESH = "refresh"
_CLAIMS = ["sub", "typ", "exp", "iat", "jti", "ver"]


class RefreshTokenReused(NotAuthenticated):
    code = "refresh_token_reused"
    default_detail = "Phiên đăng nhập đã bị thu hồi vì mã làm mới được dùng lại; vui lòng đăng nhập lại."


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int  # seconds of validity of the access token
    token_type: str = "bearer"


def _encode(claims: dict[str, Any], settings: AuthSettings) -> str:
    return jwt.encode(claims, settings.secret_key.get_secret_value(), algorithm=ALGORITHM)


def _decode(token: str, *, typ: str, settings: AuthSettings, now: datetime) -> dict[str, Any]:
    try:
        # exp/iat are checked below against `now`: the application clock, not PyJWT's time.time().
        claims: dict[str, Any] = jwt.decode(
            token, settings.secret_key.get_secret_value(), algorithms=[ALGORITHM],
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False, "require": _CLAIMS},
        )
    except jwt.InvalidTokenError:
        raise NotAuthenticated("Mã xác thực không hợp lệ.", code="invalid_token") from None
    if claims.get("typ") != typ:
        raise NotAuthenticated("Mã xác thực không đúng loại.", code="invalid_token")
    if not isinstance(claims["exp"], int | float) or claims["exp"] <= now.timestamp():
        raise NotAuthenticated("Phiên đăng nhập đã hết hạn; vui lòng đăng nhập lại.", code="token_expired")
    return claims


def _official(session: Session, claims: dict[str, Any]) -> Official:
    official = _with_department(session, int(claims["sub"])) if str(claims["sub"]).isdigit() else None
    if official is None or official.disabled:
        raise NotAuthenticated("Tài khoản không còn hiệu lực.", code="account_disabled")
    if claims["ver"] != official.token_version:
        raise NotAuthenticated("Phiên đăng nhập đã bị thu hồi; vui lòng đăng nhập lại.", code="token_revoked")
    return official


def _with_department(session: Session, official_id: int) -> Official | None:
    """The official and their department in one query; the department is remembered for the request
    (`actor_of_official` and the forms ask for it by id), so every authenticated request saves a query."""
    row = session.exec(select(Official, Department)
                       .outerjoin(Department, col(Department.id) == Official.department_id)
                       .where(Official.id == official_id)).first()
    if row is None:
        return None
    official, department = row
    if department is not None:
        memo(session, "department", department.id, lambda: department)
    return official


def issue_tokens(
    session: Session, *, official: Official, settings: AuthSettings, now: datetime,
    family_id: str | None = None,
) -> TokenPair:
    """A new access token and a new refresh token (recorded by jti; a new family unless rotating)."""
    return _issue(session, official=official, settings=settings, now=now, family_id=family_id)[0]


def _issue(
    session: Session, *, official: Official, settings: AuthSettings, now: datetime, family_id: str | None
) -> tuple[TokenPair, str]:
    lifetime = timedelta(minutes=settings.access_token_minutes)
    iat = int(now.timestamp())
    access = _encode(
        {
            "sub": str(official.id), "typ": ACCESS, "dept": official.department_id, "roles": official.roles,
            "ver": official.token_version, "iat": iat, "exp": int((now + lifetime).timestamp()),
            "jti": secrets.token_hex(16),
        },
        settings,
    )
    jti = secrets.token_hex(16)
    family = family_id or secrets.token_hex(16)
    expires_at = now + timedelta(days=settings.refresh_token_days)
    refresh_token = _encode(
        {
            "sub": str(official.id), "typ": REFRESH, "ver": official.token_version, "fam": family,
            "iat": iat, "exp": int(expires_at.timestamp()), "jti": jti,
        },
        settings,
    )
    row = RefreshToken(
        jti=jti, family_id=family, official_id=official.id, expires_at=expires_at, created_at=now
    )
    session.add(row)
    session.flush()
    pair = TokenPair(
        access_token=access, refresh_token=refresh_token, expires_in=int(lifetime.total_seconds())
    )
    return pair, jti


def refresh(session: Session, *, refresh_token: str, settings: AuthSettings, now: datetime) -> TokenPair:
    """Exchange a refresh token for a new pair; the presented token is spent."""
    claims = _decode(refresh_token, typ=REFRESH, settings=settings, now=now)
    # Locked so two concurrent refreshes of one token cannot both succeed (SQLite serialises writers anyway).
    query = select(RefreshToken).where(RefreshToken.jti == claims["jti"]).with_for_update()
    row = session.exec(query).first()
    if row is None or str(row.official_id) != claims["sub"]:
        raise NotAuthenticated("Mã làm mới không hợp lệ.", code="invalid_token")
    if row.revoked_at is not None:
        revoke_family(session, family_id=row.family_id, now=now)
        raise RefreshTokenReused()
    if ensure_utc(row.expires_at) <= now:
        raise NotAuthenticated("Phiên đăng nhập đã hết hạn; vui lòng đăng nhập lại.", code="token_expired")
    official = _official(session, claims)
    pair, jti = _issue(session, official=official, settings=settings, now=now, family_id=row.family_id)
    row.revoked_at = now
    row.replaced_by = jti
    session.flush()
    return pair


def revoke_family(session: Session, *, family_id: str, now: datetime) -> None:
    session.execute(
        update(RefreshToken)
        .where(col(RefreshToken.family_id) == family_id, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    session.flush()


def official_from_access_token(
    session: Session, *, token: str, settings: AuthSettings, now: datetime
) -> Official:
    """The official an access token speaks for, reloaded: signature, type, expiry and revocation checked."""
    return _official(session, _decode(token, typ=ACCESS, settings=settings, now=now))
