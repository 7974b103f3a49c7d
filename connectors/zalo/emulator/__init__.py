"""A faithful Zalo stand-in: a real HTTP server speaking the wire protocol of ZALO_API.md.

`create_emulator_app(...)` returns one FastAPI app serving the three Zalo hosts under path prefixes and the
citizen's phone (see app.py). Point the client's base URLs at `<server><prefix>/openapi`, `/business`,
`/oauth`. To mount it inside another app: `main.mount("/zalo-emulator", create_emulator_app(..., prefix=""))`.
State lives in memory (`app.state.emulator`); webhooks go out from a daemon thread (`app.state.webhooks`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from fastapi import FastAPI

from connectors.zalo.emulator.app import create_app
from connectors.zalo.emulator.rules import EmulatorClock, SendingRules
from connectors.zalo.emulator.state import FAULT_KINDS, INVALID_GRANT, EmulatorState
from connectors.zalo.emulator.templates import DEFAULT_TEMPLATE_ID, SEED_TEMPLATES, Template
from connectors.zalo.emulator.webhooks import WebhookDispatcher

__all__ = ["DEFAULT_TEMPLATE_ID", "FAULT_KINDS", "INVALID_GRANT", "SEED_TEMPLATES", "EmulatorClock",
           "EmulatorState", "SendingRules", "Template", "WebhookDispatcher", "create_emulator_app"]


def create_emulator_app(
    *, app_id: str, app_secret: str, oa_secret_key: str, webhook_url: str | None, now: Callable[[], datetime],
    oa_id: str = "388613280878808645", prefix: str = "/zalo-emulator",
    templates: tuple[Template, ...] = SEED_TEMPLATES,
    cs_window: timedelta = timedelta(days=7), uid_template_window: timedelta = timedelta(days=365),
    access_ttl: timedelta = timedelta(hours=25), fault_timeout_seconds: float = 20.0,
    webhook_retry_delays: tuple[float, ...] = (0.5, 2.0, 5.0), synchronous_webhooks: bool = False,
    seed: int | None = None, callback_url: str | None = None,
) -> FastAPI:
    """The emulator app. `now` drives every window and expiry (inject a manual clock in tests);
    `fault_timeout_seconds` is how long an injected timeout stalls (set it above the client's timeout);
    `callback_url`: the app's registered Official Account Callback URL (the permission page refuses others).
    The emulator's time is `now` shifted by what `POST {prefix}/clock` sets (none until told)."""
    clock = EmulatorClock(now)
    state = EmulatorState(
        app_id=app_id, app_secret=app_secret, oa_secret_key=oa_secret_key, oa_id=oa_id, now=clock.now,
        templates=templates, access_ttl=access_ttl, cs_window=cs_window,
        uid_template_window=uid_template_window,
        fault_timeout_seconds=fault_timeout_seconds, seed=seed,
    )
    webhooks = WebhookDispatcher(url=webhook_url, app_id=app_id, oa_secret_key=oa_secret_key,
                                 retry_delays=webhook_retry_delays, synchronous=synchronous_webhooks)
    rules = SendingRules(state=state, clock=clock)
    return create_app(state, webhooks, prefix=prefix.rstrip("/"), rules=rules, callback_url=callback_url)
