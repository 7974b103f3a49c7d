"""Who is calling, and may they: bearer tokens of officials, `X-API-Key` of integrations, role checks.

Every dependency here gives the caller as an `Actor` (workflows/identity/actor.py), except
`CurrentOfficial`, which gives the Official row for the routes about the caller's own account.

Errors are our own (NotAuthenticated → 401 with `WWW-Authenticate`, Forbidden → 403), rendered as
problem+json; the security schemes are built with `auto_error=False` for that reason.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from sqlmodel import Session
from starlette.responses import Response
from starlette.types import Scope

from api.deps import ClockDep, SessionDep, SettingsDep
from api.errors import problem
from workflows.core.errors import Forbidden, MotcuaError, NotAuthenticated
from workflows.identity import service, tokens
from workflows.identity.actor import Actor
from workflows.identity.models import Official, Role

__all__ = [
    "ActorDep", "Admin", "CurrentActor", "CurrentOfficial", "ReceptionOrKey", "require_actor", "require_roles",
]

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="Key of a system integration")

BearerToken = Annotated[str | None, Depends(oauth2_scheme)]
ApiKeySecret = Annotated[str | None, Depends(api_key_scheme)]


def get_current_official(
    session: SessionDep, settings: SettingsDep, clock: ClockDep, token: BearerToken
) -> Official:
    if not token:
        raise NotAuthenticated()
    return tokens.official_from_access_token(session, token=token, settings=settings.auth, now=clock.now())


CurrentOfficial = Annotated[Official, Depends(get_current_official)]


def get_current_actor(
    session: SessionDep, settings: SettingsDep, clock: ClockDep, token: BearerToken, api_key: ApiKeySecret
) -> Actor:
    """An official by bearer token, or an integration by `X-API-Key` (the key wins when both are sent)."""
    if api_key:
        return service.api_key_actor(session, secret=api_key, now=clock.now())
    if token:
        official = get_current_official(session, settings, clock, token)
        return service.actor_of_official(session, official=official)
    raise NotAuthenticated()


CurrentActor = Annotated[Actor, Depends(get_current_actor)]


def get_official_actor(session: SessionDep, settings: SettingsDep, clock: ClockDep, token: BearerToken) -> Actor:
    """An official by bearer token (an API key alone is not authenticated here). The official is read here,
    not through `CurrentOfficial`: one sync dependency is one hop to a worker thread, two are two."""
    return service.actor_of_official(session, official=get_current_official(session, settings, clock, token))


ActorDep = Annotated[Actor, Depends(get_official_actor)]


async def refuse_unauthenticated(scope: Scope) -> Response | None:
    """The 401 an upload route would answer, found before its body is read (see api/bodylimit.py); None
    when the caller holds a valid token or key. The route authenticates again, with its roles."""
    request = Request(scope)
    wiring = request.app.state.wiring
    token, api_key = await oauth2_scheme(request), request.headers.get("X-API-Key")

    def check() -> None:
        with Session(wiring.db, expire_on_commit=False) as session:
            try:
                get_current_actor(session, wiring.settings, wiring.clock, token, api_key)
            finally:
                session.rollback()  # a key's last use is written by the route's own transaction

    try:
        await run_in_threadpool(check)
    except MotcuaError as exc:
        return problem(exc.status_code, exc.error_code, exc.detail, headers={"WWW-Authenticate": "Bearer"})
    return None


def _forbidden(roles: tuple[Role, ...]) -> Forbidden:
    if not roles:
        return Forbidden()
    return Forbidden(
        "Bạn không có quyền thực hiện thao tác này (cần vai trò: "
        + ", ".join(role.label for role in roles) + ").",
    )


def require_roles(*roles: Role) -> Callable[..., Actor]:
    """A dependency admitting officials (by bearer token) holding any of `roles`."""

    def dependency(session: SessionDep, settings: SettingsDep, clock: ClockDep, token: BearerToken) -> Actor:
        official = get_current_official(session, settings, clock, token)  # in this hop (get_official_actor)
        if not official.has_role(*roles):
            raise _forbidden(roles)
        return service.actor_of_official(session, official=official)

    return dependency


def require_actor(*, roles: tuple[Role, ...] = (),
                  scopes: tuple[str, ...] = ()) -> Callable[[Actor], Awaitable[Actor]]:
    """A dependency admitting officials holding any of `roles` and API keys holding all of `scopes`
    (an empty `roles` refuses every official; an empty `scopes` refuses every key). `async def`: it only
    looks at the actor, so it need not take a turn in the thread pool (api/deps.py)."""

    async def dependency(actor: CurrentActor) -> Actor:
        if actor.kind == "official" and roles and actor.has_role(*roles):
            return actor
        if actor.kind == "api_key" and scopes and actor.has_scopes(*scopes):
            return actor
        if actor.kind == "api_key":
            raise Forbidden("Khóa API không có phạm vi quyền cần thiết: " + ", ".join(scopes) + ".")
        raise _forbidden(roles)

    return dependency


Admin = Annotated[Actor, Depends(require_roles(Role.QUAN_TRI))]
ReceptionOrKey = Annotated[Actor, Depends(require_actor(roles=(Role.MOT_CUA,), scopes=("dossiers:write",)))]
