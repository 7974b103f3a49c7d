"""Login, token refresh, the caller's profile, and the administration of officials and API keys."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.security import OAuth2PasswordRequestForm

from api.auth import Admin, CurrentOfficial
from api.clients import client_of
from api.deps import ClockDep, SessionDep, SettingsDep, WiringDep
from workflows.core.errors import NotAuthenticated
from workflows.identity import roster, service, throttle, tokens
from workflows.identity.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    Me,
    OfficialCreate,
    OfficialPage,
    OfficialPublic,
    OfficialRolesIn,
    RefreshRequest,
    TokenResponse,
)

router = APIRouter(prefix="/api/v1", tags=["auth"])

PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
R401: dict[int | str, dict[str, Any]] = {401: {"description": "No, bad, expired or revoked token", **PROBLEM}}
R403: dict[int | str, dict[str, Any]] = {**R401, 403: {"description": "Role QUAN_TRI required", **PROBLEM}}


@router.post(
    "/auth/token", response_model=TokenResponse, summary="Log in with username and password",
    description="OAuth2 password flow (form fields `username`, `password`). Returns a short-lived access "
    "token and a single-use refresh token. Failed logins are throttled per account and per client: after "
    "a few, each attempt must wait longer, then the account (or the client) is locked for a while; an "
    "attempt made too early is answered 429 with `Retry-After`, unverified.",
    responses={**R401, 429: {"description": "Too many failed logins (login_delayed, account_locked, "
                                            "client_locked); Retry-After gives the seconds", **PROBLEM}},
)
def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], request: Request, session: SessionDep,
    wiring: WiringDep,
) -> TokenResponse:
    settings, clock = wiring.settings, wiring.clock
    attempt = throttle.begin(wiring.db, username=form.username, client=client_of(request, wiring),
                             settings=settings.auth.login, secret=settings.crypto.hmac_key.get_secret_value(),
                             now=clock.now())
    try:
        official = service.authenticate(session, username=form.username, password=form.password,
                                        slots=wiring.hashing, hasher=wiring.password_hasher)
    except NotAuthenticated:
        throttle.failed(session, attempt=attempt, username=form.username, now=clock.now())
        session.commit()  # the failure's audit must outlive this failed request
        raise
    throttle.succeeded(session, attempt=attempt)
    pair = tokens.issue_tokens(session, official=official, settings=settings.auth, now=clock.now())
    return TokenResponse.of(pair)


@router.post(
    "/auth/refresh", response_model=TokenResponse, summary="Exchange a refresh token for a new pair",
    description="The refresh token is single-use. Presenting a spent one revokes every token of that login "
    "(`refresh_token_reused`).", responses=R401,
)
def refresh(
    body: RefreshRequest, session: SessionDep, settings: SettingsDep, clock: ClockDep
) -> TokenResponse:
    try:
        pair = tokens.refresh(
            session, refresh_token=body.refresh_token, settings=settings.auth, now=clock.now()
        )
    except tokens.RefreshTokenReused:
        session.commit()  # the family's revocation must outlive this failed request
        raise
    return TokenResponse.of(pair)


@router.get("/me", response_model=Me, summary="The logged-in official", responses=R401)
def me(official: CurrentOfficial, session: SessionDep) -> OfficialPublic:
    return OfficialPublic.of(official, service.department_of(session, official=official))


@router.get("/officials", response_model=OfficialPage, summary="List officials (QUAN_TRI)", responses=R403)
def list_officials(
    _: Admin, session: SessionDep, settings: SettingsDep, clock: ClockDep,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
    department: Annotated[str | None, Query(description="Department code")] = None,
) -> OfficialPage:
    return roster.officials_page(session, page=page, page_size=page_size, department_code=department,
                                 secret=settings.crypto.hmac_key.get_secret_value(), now=clock.now())


@router.post(
    "/officials", response_model=OfficialPublic, status_code=status.HTTP_201_CREATED,
    summary="Create an official (QUAN_TRI)",
    responses={**R403, 409: {"description": "Username taken", **PROBLEM}},
)
def create_official(body: OfficialCreate, _: Admin, session: SessionDep, clock: ClockDep,
                    wiring: WiringDep) -> OfficialPublic:
    official = service.create_official(
        session, username=body.username, password=body.password, full_name=body.full_name,
        department_code=body.department_code, roles=body.roles, now=clock.now(), title=body.title,
        unit_name=body.unit_name, hasher=wiring.password_hasher,
    )
    return OfficialPublic.of(official, service.department_of(session, official=official))


@router.post(
    "/officials/{username}/disable", response_model=OfficialPublic,
    summary="Disable an official (QUAN_TRI); their tokens stop working at once",
    responses={**R403, 404: {"description": "Unknown username", **PROBLEM},
               409: {"description": "The last enabled administrator (last_administrator)", **PROBLEM}},
)
def disable_official(username: str, _: Admin, session: SessionDep, clock: ClockDep) -> OfficialPublic:
    official = service.disable_official(session, username=username, now=clock.now())
    return OfficialPublic.of(official, service.department_of(session, official=official))


@router.post(
    "/officials/{username}/enable", response_model=OfficialPublic,
    summary="Enable a disabled official again (QUAN_TRI); they sign in with their password",
    responses={**R403, 404: {"description": "Unknown username", **PROBLEM}},
)
def enable_official(username: str, admin: Admin, session: SessionDep, clock: ClockDep) -> OfficialPublic:
    official = service.enable_official(session, username=username, actor=admin.username, now=clock.now())
    return OfficialPublic.of(official, service.department_of(session, official=official))


@router.put(
    "/officials/{username}/roles", response_model=OfficialPublic,
    summary="Replace an official's roles (QUAN_TRI); they hold from the official's next request",
    responses={**R403, 404: {"description": "Unknown username", **PROBLEM},
               409: {"description": "The last enabled administrator (last_administrator)", **PROBLEM}},
)
def set_official_roles(username: str, body: OfficialRolesIn, admin: Admin, session: SessionDep,
                       clock: ClockDep) -> OfficialPublic:
    official = service.set_roles(session, username=username, roles=body.roles, actor=admin.username,
                                 now=clock.now())
    return OfficialPublic.of(official, service.department_of(session, official=official))


@router.post(
    "/api-keys", response_model=ApiKeyCreated, status_code=status.HTTP_201_CREATED,
    summary="Create an API key for a system integration (QUAN_TRI); the secret is shown once",
    responses=R403,
)
def create_api_key(body: ApiKeyCreate, _: Admin, session: SessionDep, clock: ClockDep) -> ApiKeyCreated:
    key, secret = service.create_api_key(
        session, name=body.name, scopes=body.scopes, department_code=body.department_code, now=clock.now()
    )
    return ApiKeyCreated.of(key, secret=secret, department_code=body.department_code)

