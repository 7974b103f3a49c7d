"""Zalo's sending rules in the emulator, each answered with Zalo's own code (ZALO_API.md), and the control
endpoints a test or a developer uses to bring each one about.

* Night window (§4.8, §9.9): templates marked night-restricted are refused 22:00–06:00 Vietnam time: -133 on
  the ZBS/ZNS host ("cannot send at night (22:00–06:00)", §10.2), -234 on the OA host ("This message cannot
  be sent at night (10:00PM - 6:00AM)", §10.1). Zalo lets transaction templates go 24/24 (§4.8, unconfirmed
  for ZBS), so no template is restricted until told (`night_templates`, "*" for all).
* Daily quota (§9.9, §11): the OA's template messages per Vietnam day: -144 "OA daily limit exceeded" on the
  ZBS/ZNS host (§10.2), -211 "Out of quota" on the OA host (§10.1); every send answers the quota left
  (`dailyQuota`/`remainingQuota` §9.1, `quota.remain` §4.6). Optionally a per-recipient daily limit: -1472.
* Wallet (§9.2): each template (`price_uid`/`price_phone`) and each customer-service message of the paid part
  of the window (48 h–7 d, §0.2 item 3: `price_cs`) is debited from the OA's ZBS (Zalo Cloud) wallet; too
  little left: -115 "out of quota / insufficient balance" (ZBS/ZNS host, §10.2), -321 "Zalo Cloud Account out
  of money" (OA host, §10.1). Prices are Zalo's price list, not published (§14 item 18): ours are examples.
* Customer-service window (§4.8): state.py refuses CS messages past 7 days (-230) or without interaction
  (-232); here a test may force that answer for a user whose interaction the client still believes fresh.

Control (beside `/faults`, `/grant`, `/stats`): `GET/POST {prefix}/rules` (quota, wallet, prices, night
templates, forced rules) and `GET/POST {prefix}/clock` (the emulator's time: set or advance it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from connectors.timeutil import utc
from connectors.zalo.emulator.errors import EmuError
from connectors.zalo.emulator.state import EmulatorState

VN = ZoneInfo("Asia/Ho_Chi_Minh")
RULES = ("night_window", "daily_quota", "user_daily_quota", "wallet_empty", "cs_window")


class EmulatorClock:
    """The emulator's time: its base clock (the system's, or a test's manual clock) shifted by an offset the
    control endpoint sets, so a separately running emulator can be taken to 22:30 or to the next day."""

    def __init__(self, base: Callable[[], datetime]) -> None:
        self._base = base
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return utc(self._base()) + self._offset

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("the emulator's clock needs an aware datetime")
        with self._lock:
            self._offset = utc(instant) - utc(self._base())

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._offset += delta

    @property
    def offset(self) -> timedelta:
        with self._lock:
            return self._offset


class SendingRules:
    """The rules, checked and counted under the state's lock around its sends (one send, one decision)."""

    def __init__(self, *, state: EmulatorState, clock: EmulatorClock, daily_quota: int | None = 10_000,
                 user_daily_quota: int | None = None, wallet_balance: int = 100_000_000, price_uid: int = 200,
                 price_phone: int = 300, price_cs: int = 100) -> None:
        self.state, self.clock = state, clock
        self.daily_quota, self.user_daily_quota = daily_quota, user_daily_quota
        self.wallet_balance = wallet_balance
        self.prices = {"uid": price_uid, "phone": price_phone, "cs": price_cs}
        self.night_templates: set[str] = set()
        self.forced: set[str] = set()
        self._sent: dict[date, int] = {}
        self._sent_to: dict[tuple[date, str], int] = {}

    # --- the send paths -----------------------------------------------------------------------------------

    def send_template(self, *, template_id: str, data: Any, user_id: str | None = None,
                      phone: str | None = None) -> dict[str, Any]:
        """A ZBS template by user id or by phone, if every rule lets it go; counted and debited once sent."""
        by_phone = phone is not None
        with self.state.lock:
            today = self._today()
            recipient = (phone or "").removeprefix("+") if by_phone else str(user_id or "")
            self._check_template(str(template_id), recipient, today, by_phone=by_phone)
            result = self.state.send_template(template_id=template_id, data=data, user_id=user_id, phone=phone)
            self._sent[today] = self._sent.get(today, 0) + 1
            self._sent_to[(today, recipient)] = self._sent_to.get((today, recipient), 0) + 1
            self.wallet_balance -= self.prices["phone" if by_phone else "uid"]
            remaining = self._remaining(today)
            if by_phone:
                result["quota"] = {"dailyQuota": str(self.daily_quota if self.daily_quota is not None else ""),
                                   "remainingQuota": str(remaining if remaining is not None else "")}
            elif remaining is not None:
                result["quota"] = {"quota_type": "purchase_quota", "remain": remaining}
            return result

    def send_cs(self, body: dict[str, Any]) -> dict[str, Any]:
        """A customer-service message; in the paid part of the window (48 h–7 d) it is debited."""
        with self.state.lock:
            recipient = body.get("recipient") if isinstance(body.get("recipient"), dict) else {}
            if "cs_window" in self.forced:
                raise EmuError(-230, "User has not interacted with the OA in the past 7 days")
            user = self.state.users.get(str(recipient.get("user_id") or ""))
            last = user.last_interaction_at if user else None
            now = utc(self.clock.now())
            paid = last is not None and self.state.free_window < now - last <= self.state.cs_window
            if paid and ("wallet_empty" in self.forced or self.wallet_balance < self.prices["cs"]):
                raise EmuError(-321, "Zalo Cloud Account out of money")
            result = self.state.send_cs(body)
            if paid:
                self.wallet_balance -= self.prices["cs"]
            return result

    def _check_template(self, template_id: str, recipient: str, today: date, *, by_phone: bool) -> None:
        local = utc(self.clock.now()).astimezone(VN)
        night = local.hour >= 22 or local.hour < 6
        restricted = "*" in self.night_templates or template_id in self.night_templates
        if "night_window" in self.forced or (night and restricted):
            raise EmuError(-133, "Template cannot be sent at night (22:00 - 06:00)") if by_phone else EmuError(
                -234, "This message cannot be sent at night (10:00PM - 6:00AM)")
        remaining = self._remaining(today)
        if "daily_quota" in self.forced or (remaining is not None and remaining <= 0):
            raise EmuError(-144, "OA has exceeded the daily message limit") if by_phone else EmuError(
                -211, "Out of quota")
        per_user = self._sent_to.get((today, recipient), 0)
        if "user_daily_quota" in self.forced or (
                self.user_daily_quota is not None and per_user >= self.user_daily_quota):
            raise EmuError(-1472, "User has exceeded the daily message limit")
        price = self.prices["phone" if by_phone else "uid"]
        if "wallet_empty" in self.forced or self.wallet_balance < price:
            raise EmuError(-115, "Out of quota or insufficient balance") if by_phone else EmuError(
                -321, "Zalo Cloud Account out of money")

    def _today(self) -> date:
        return utc(self.clock.now()).astimezone(VN).date()

    def _remaining(self, today: date) -> int | None:
        return None if self.daily_quota is None else max(0, self.daily_quota - self._sent.get(today, 0))

    # --- control ------------------------------------------------------------------------------------------

    def reset_quota(self) -> None:
        """Forget today's counts, as when Zalo renews the quota."""
        with self.state.lock:
            today = self._today()
            self._sent.pop(today, None)
            self._sent_to = {key: n for key, n in self._sent_to.items() if key[0] != today}

    def describe(self) -> dict[str, Any]:
        with self.state.lock:
            today = self._today()
            return {"now": self.clock.now().isoformat(), "vietnam_date": today.isoformat(),
                    "daily_quota": self.daily_quota, "sent_today": self._sent.get(today, 0),
                    "remaining_today": self._remaining(today), "user_daily_quota": self.user_daily_quota,
                    "wallet_balance": self.wallet_balance, "prices": dict(self.prices),
                    "night_templates": sorted(self.night_templates), "forced": sorted(self.forced)}


class RulesIn(BaseModel):
    """Only the fields given change; `null` for `daily_quota`/`user_daily_quota` lifts the limit."""

    daily_quota: int | None = Field(None, ge=0, description="The OA's template messages per Vietnam day")
    user_daily_quota: int | None = Field(None, ge=0, description="Template messages per recipient per day")
    reset_quota: bool = Field(False, description="Forget today's count (Zalo's quota renewed)")
    wallet_balance: int | None = Field(None, ge=0, description="Set the ZBS wallet's balance (VND)")
    top_up: int | None = Field(None, gt=0, description="Add to the ZBS wallet (VND)")
    price_uid: int | None = Field(None, ge=0)
    price_phone: int | None = Field(None, ge=0)
    price_cs: int | None = Field(None, ge=0)
    night_templates: list[str] | None = Field(None, description='Template ids refused 22:00–06:00; "*" = all')
    force: list[str] | None = Field(None, description=f"Rules that refuse whatever the state (`wallet_empty` "
                                                      f"only paid messages): {', '.join(RULES)}; [] clears")


class ClockIn(BaseModel):
    set: datetime | None = Field(None, description="The emulator's time from now on (aware ISO 8601)")
    advance_seconds: float | None = Field(None, description="Move the emulator's time on by this much")


def build_router(rules: SendingRules) -> APIRouter:
    router = APIRouter()

    @router.get("/rules")
    async def get_rules() -> dict[str, Any]:
        return rules.describe()

    @router.post("/rules")
    async def set_rules(body: RulesIn) -> dict[str, Any]:
        unknown = sorted(set(body.force or ()) - set(RULES))
        if unknown:
            raise HTTPException(422, f"unknown rules {unknown}: choose from {', '.join(RULES)}")
        given = body.model_fields_set
        with rules.state.lock:
            if "daily_quota" in given:
                rules.daily_quota = body.daily_quota
            if "user_daily_quota" in given:
                rules.user_daily_quota = body.user_daily_quota
            if body.reset_quota:
                rules.reset_quota()
            if body.wallet_balance is not None:
                rules.wallet_balance = body.wallet_balance
            if body.top_up is not None:
                rules.wallet_balance += body.top_up
            for kind in ("uid", "phone", "cs"):
                price = getattr(body, f"price_{kind}")
                if price is not None:
                    rules.prices[kind] = price
            if body.night_templates is not None:
                rules.night_templates = set(body.night_templates)
            if body.force is not None:
                rules.forced = set(body.force)
        return rules.describe()

    @router.get("/clock")
    async def get_clock() -> dict[str, Any]:
        return _clock_out(rules.clock)

    @router.post("/clock")
    async def set_clock(body: ClockIn) -> dict[str, Any]:
        try:
            if body.set is not None:
                rules.clock.set(body.set)
            if body.advance_seconds is not None:
                rules.clock.advance(timedelta(seconds=body.advance_seconds))
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc
        return _clock_out(rules.clock)

    return router


def _clock_out(clock: EmulatorClock) -> dict[str, Any]:
    now = clock.now()
    return {"now": now.isoformat(), "vietnam_time": now.astimezone(VN).isoformat(),
            "offset_seconds": clock.offset.total_seconds()}
