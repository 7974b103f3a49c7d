"""Zalo's sending rules as the client meets them: the error codes that mean "not now" and when "later" is.

A message one of these rules stops is not a failure: the relay keeps it waiting until the rule lets it go
(`ZaloDeferred.not_before`) without spending an attempt. The codes (ZALO_API.md):

| rule               | codes                                                   | waits until                  |
|--------------------|---------------------------------------------------------|------------------------------|
| `night_window`     | -133 ZBS/ZNS "cannot send at night (22:00–06:00)" §9.9, | 06:00 Vietnam time           |
|                    | §10.2; -234 OA "cannot be sent at night (10:00PM -      |                              |
|                    | 6:00AM)" §10.1, §4.8                                    |                              |
| `daily_quota`      | -144 "OA daily limit exceeded" §9.9, §10.2; -147        | the next 00:00 Vietnam time  |
|                    | template daily limit §10.2; -211 "Out of quota" §10.1   | (Zalo's day; §11)            |
| `user_daily_quota` | -1472 daily limit for the user §9.9, §10.2              | the next 00:00 Vietnam time  |
| `wallet_empty`     | -115 "out of quota / insufficient balance" §10.2; -321  | a top-up: tried again every  |
|                    | "Zalo Cloud Account out of money" §10.1; -137 ZCA       | `WALLET_RETRY` (an hour)     |
|                    | charge failure §10.2 (prerequisites §9.2)               |                              |

The customer-service window (-230 / -232, §4.8) is not a wait: the sender falls back to a ZBS template by
user id, then by phone (sender.py), and only without either is the citizen unreachable.

Zalo documents neither the time zone of the night rule nor when the daily quota resets; both are taken as
Vietnam time (ZALO_API.md §14 item 6), the OA's and the citizens' time.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from connectors.timeutil import utc

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NIGHT_ENDS = time(6, 0)  # templates go again from 06:00
NIGHT_STARTS = time(22, 0)
# Zalo refused at night while our clock says day (the clocks disagree by a little): ask again this soon.
DAY_REFUSAL_RETRY = timedelta(minutes=15)
# Nobody tells us when the wallet is topped up: ask Zalo again this often, without spending attempts.
WALLET_RETRY = timedelta(hours=1)

NIGHT_WINDOW, DAILY_QUOTA, USER_DAILY_QUOTA, WALLET_EMPTY = (
    "night_window", "daily_quota", "user_daily_quota", "wallet_empty")
RULE_OF_CODE: dict[int, str] = {
    -133: NIGHT_WINDOW, -234: NIGHT_WINDOW,
    -144: DAILY_QUOTA, -147: DAILY_QUOTA, -211: DAILY_QUOTA,
    -1472: USER_DAILY_QUOTA,
    -115: WALLET_EMPTY, -321: WALLET_EMPTY, -137: WALLET_EMPTY,
}
# What an official reads on the waiting message (GET /api/v1/admin/messages?state=waiting).
EXPLANATIONS = {
    NIGHT_WINDOW: "Zalo không cho gửi tin mẫu ban đêm (22:00–06:00); tin nhắn chờ đến {at} để gửi.",
    DAILY_QUOTA: "OA đã dùng hết hạn mức tin mẫu Zalo trong ngày; tin nhắn chờ đến {at} (hạn mức ngày mới) để gửi.",
    USER_DAILY_QUOTA: "Công dân đã nhận đủ số tin mẫu Zalo cho phép trong ngày; tin nhắn chờ đến {at} để gửi.",
    WALLET_EMPTY: "Tài khoản ZBS (Zalo Cloud) của OA hết tiền; tin nhắn chờ quản trị viên nạp tiền, "
                  "tự thử lại mỗi giờ (lần tới lúc {at}).",
}

# The customer-service window closed (-230/-232) and no template could go instead: what an official reads on
# the unreachable message (recorded after the reason key `outside_window`).
CS_WINDOW_CLOSED = ("Công dân không tương tác với OA trong 7 ngày qua nên Zalo không nhận tin tư vấn "
                    "(mã -230/-232), và không có tin mẫu ZBS nào gửi được thay; tin nhắn gửi được khi công dân "
                    "nhắn tin cho OA (quản trị viên gửi lại).")


def rule_for(code: int) -> str | None:
    """The sending rule behind Zalo's error `code`, or None when the code is not a "not now"."""
    return RULE_OF_CODE.get(code)


def not_before(rule: str, now: datetime) -> datetime:
    """When a message `rule` stopped at `now` may be sent again (UTC)."""
    local = utc(now).astimezone(VN)
    if rule == NIGHT_WINDOW:
        if local.time() >= NIGHT_STARTS:
            return _at(local.date() + timedelta(days=1), NIGHT_ENDS)
        if local.time() < NIGHT_ENDS:
            return _at(local.date(), NIGHT_ENDS)
        return utc(now) + DAY_REFUSAL_RETRY
    if rule in (DAILY_QUOTA, USER_DAILY_QUOTA):
        return _at(local.date() + timedelta(days=1), time(0, 0))
    return utc(now) + WALLET_RETRY


def explain(rule: str, when: datetime) -> str:
    """The Vietnamese sentence an official reads: the rule and when the message goes next."""
    at = utc(when).astimezone(VN).strftime("%H:%M ngày %d/%m/%Y")
    return EXPLANATIONS[rule].format(at=at)


def _at(day: date, clock_time: time) -> datetime:
    return utc(datetime.combine(day, clock_time, tzinfo=VN))
