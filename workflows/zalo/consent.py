"""A citizen's choice about Zalo notifications, typed in the OA chat, and what the relay does with it.

- `DỪNG` / `HỦY THÔNG BÁO` (accents and case ignored, as every keyword of the bot) stops notifications:
  the time is recorded on the citizen's `zalo_user` row (`notifications_stopped_at`); `NHẬN THÔNG BÁO`
  turns them back on (`notifications_resumed_at`, the stop cleared).
- A stop covers every Zalo channel to that citizen — customer-service messages, templates by user id and
  by phone (the citizen asked not to be notified on Zalo, whichever way the message would travel): a
  dossier or feedback message is refused when one of the accounts it would reach (linked, or holding the
  proven phone) has stopped.
- An unfollow (`unfollow` event, `zalo_user.unfollowed_at`) stops customer-service messages only: a
  template by phone or by user id may still reach the citizen (ZALO_API.md §4.8); the sender skips CS
  (`connectors/zalo/sender.py`) and a reply (CS only) is refused here. The bot answers nothing to an
  unfollowed account (`workflows/zalo/inbound.py`).

Both are honoured when the relay sends (`recipients.resolve_recipient`), never when a message is queued:
a message already waiting when the citizen types DỪNG does not go. A refused message ends `unreachable`
with the reason below, in Vietnamese, in the failed-messages list administrators read.
Answers to what the citizen types (a lookup, this very confirmation) are not notifications: they still go.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, or_, select

from connectors.outbox import UnreachableRecipient
from connectors.zalo.users import ZaloUser, get_user
from workflows import audit
from workflows.core.text import search_key

STOP_WORDS = ("dung", "huy thong bao", "dung thong bao", "tat thong bao")
RESUME_WORDS = ("nhan thong bao", "bat thong bao")

STOPPED = ("Đã tắt thông báo qua Zalo. Từ nay ông/bà sẽ không nhận tin nhắn thông báo về hồ sơ và phản ánh, "
           "kiến nghị qua Zalo (kể cả tin gửi theo số điện thoại); đây là tin nhắn thông báo cuối cùng. Hồ sơ "
           "vẫn được giải quyết bình thường và ông/bà vẫn có thể tra cứu tại đây. Để nhận lại thông báo, nhắn "
           "NHẬN THÔNG BÁO.")
RESUMED = ("Đã bật lại thông báo qua Zalo. Ông/bà sẽ nhận lại thông báo về các bước giải quyết hồ sơ và câu "
           "trả lời phản ánh, kiến nghị tại đây. Để tắt thông báo, nhắn DỪNG.")

# The reasons an official reads in the failed-messages list (`reason` code, then the text).
STOPPED_REASON = "zalo_notifications_stopped"
STOPPED_TEXT = "Công dân đã tắt thông báo Zalo (nhắn DỪNG); tin không được gửi."
UNFOLLOWED_REASON = "unfollowed"
UNFOLLOWED_TEXT = "Công dân đã bỏ quan tâm OA; không gửi tin tư vấn (chỉ gửi được tin mẫu)."


def answer(session: Session, *, user_id: str, text: str, now: datetime) -> str | None:
    """The answer when `text` is a consent keyword (the choice recorded with its time, and audited, in the
    caller's transaction), None otherwise."""
    key = search_key(text).strip(" .!")
    if key not in STOP_WORDS + RESUME_WORDS:
        return None
    user = _user(session, user_id=user_id, now=now)
    stop = key in STOP_WORDS
    if stop:
        user.notifications_stopped_at = now
    else:
        user.notifications_stopped_at = None
        user.notifications_resumed_at = now
    session.add(user)
    session.flush()
    audit.record(session, actor=f"zalo:{user_id}", action="zalo.notifications_" + ("stop" if stop else "resume"),
                 at=now, data={})
    return STOPPED if stop else RESUMED


def _user(session: Session, *, user_id: str, now: datetime) -> ZaloUser:
    user = get_user(session, user_id=user_id)
    if user is None:  # the webhook records every sender first; a direct call still gets a row
        user = ZaloUser(user_id=user_id, updated_at=now)
    user.updated_at = now
    return user


def is_unfollowed(session: Session, *, user_id: str) -> bool:
    user = get_user(session, user_id=user_id)
    return user is not None and user.unfollowed_at is not None


def refuse_if_stopped(session: Session, *, user_ids: tuple[str | None, ...] = (),
                      phone_hash: str | None = None) -> None:
    """Raise `UnreachableRecipient` (STOPPED_REASON) when one of `user_ids`, or an account that proved
    `phone_hash`, has stopped Zalo notifications."""
    conditions = []
    ids = [u for u in user_ids if u]
    if ids:
        conditions.append(col(ZaloUser.user_id).in_(ids))
    if phone_hash:
        conditions.append(ZaloUser.phone_hash == phone_hash)
    if not conditions:
        return
    stopped = session.exec(select(ZaloUser.user_id).where(
        or_(*conditions), col(ZaloUser.notifications_stopped_at).is_not(None))).first()
    if stopped is not None:
        raise UnreachableRecipient(STOPPED_TEXT, reason=STOPPED_REASON)


def refuse_reply_if_unfollowed(session: Session, *, user_id: str) -> None:
    """A reply is a customer-service message only: refused (UNFOLLOWED_REASON) after an unfollow."""
    if is_unfollowed(session, user_id=user_id):
        raise UnreachableRecipient(UNFOLLOWED_TEXT, reason=UNFOLLOWED_REASON)
