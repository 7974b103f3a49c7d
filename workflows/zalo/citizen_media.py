"""Photos and locations a citizen sends in the OA chat (`user_send_image`, `user_send_location`, ZALO_API.md
§8.6): attached to the citizen's feedback case opened just before (`workflows/feedback/attachments.py`),
with a Vietnamese confirmation. A photo is fetched from the URL in the (signed) event — Zalo's CDN —
bounded in size and time (`connectors/zalo/media.py`); one that cannot be fetched is recorded as failed
(the official sees it was sent) and the citizen is asked to send it again."""

from __future__ import annotations

from sqlmodel import Session

from connectors.zalo.media import Location, MediaFetchError, Photo, attachments_of, fetch_photo
from connectors.zalo.webhook import WebhookEvent
from workflows.collaborators import DomainServices
from workflows.feedback import attachments

ANSWERED_EVENTS = ("user_send_image", "user_send_location")
WINDOW_MINUTES = int(attachments.ATTACH_WINDOW.total_seconds() // 60)
NO_CASE = ("Để gửi ảnh hoặc vị trí kèm phản ánh, kiến nghị, vui lòng nhắn PHẢN ÁNH <nội dung> trước, rồi gửi "
           f"ảnh hoặc vị trí trong vòng {WINDOW_MINUTES} phút.")
FULL = "Phản ánh, kiến nghị {code} đã có đủ {limit} ảnh và vị trí; không nhận thêm."
RECEIVED = "Đã nhận {what} kèm phản ánh, kiến nghị {code}. Cán bộ xử lý sẽ xem cùng nội dung phản ánh."
NOT_FETCHED = "Chưa nhận được {count} ảnh do lỗi khi tải ảnh từ Zalo; vui lòng gửi lại ảnh."


Fetched = dict[str, "tuple[bytes, str] | MediaFetchError"]


def prefetch(event: WebhookEvent) -> Fetched:
    """The event's photos fetched from Zalo, by URL (or the error), before the webhook touches the database:
    no transaction (SQLite's write lock) is held while Zalo's CDN answers."""
    fetched: Fetched = {}
    if event.user_id is None or not event.event_name.startswith("user_send_"):
        return fetched
    for item in attachments_of(event.raw):
        if isinstance(item, Photo) and item.url not in fetched:
            try:
                fetched[item.url] = fetch_photo(item.url)
            except MediaFetchError as exc:
                fetched[item.url] = exc
    return fetched


def receive(session: Session, *, event: WebhookEvent, services: DomainServices,
            fetched: Fetched | None = None) -> str | None:
    """Attach the event's photos and locations to the sender's open case; the answer to send, or None when
    the event carries none (a sticker, a link…: nothing to say). `fetched`: the photos `prefetch` got (a
    photo missing from it is fetched now)."""
    fetched = fetched or {}
    items = attachments_of(event.raw)
    if event.user_id is None or not items:
        return NO_CASE if event.event_name in ANSWERED_EVENTS and event.user_id else None
    now = services.clock.now()
    case = attachments.case_taking_attachments(session, zalo_user_id=event.user_id, now=now)
    if case is None:
        return NO_CASE
    msg_id = str((event.raw.get("message") or {}).get("msg_id") or "")
    photos = failed = 0
    located = False
    for item in items:
        if attachments.count(session, case=case) >= attachments.MAX_ATTACHMENTS:
            return FULL.format(code=case.code, limit=attachments.MAX_ATTACHMENTS)
        if isinstance(item, Photo):
            got = fetched.get(item.url) or _fetch(item.url)
            if isinstance(got, MediaFetchError):
                attachments.add_failed_photo(session, case=case, error=str(got), msg_id=msg_id, services=services)
                failed += 1
                continue
            content, content_type = got
            attachments.add_photo(session, case=case, content=content, content_type=content_type, msg_id=msg_id,
                                  services=services)
            photos += 1
        elif isinstance(item, Location):
            attachments.add_location(session, case=case, latitude=item.latitude, longitude=item.longitude,
                                     msg_id=msg_id, services=services)
            located = True
    what = " và ".join(part for part in (f"{photos} ảnh" if photos else "", "vị trí" if located else "") if part)
    answer = RECEIVED.format(what=what, code=case.code) if what else ""
    if failed:
        answer = f"{answer} {NOT_FETCHED.format(count=failed)}".strip()
    return answer or None


def _fetch(url: str) -> tuple[bytes, str] | MediaFetchError:
    try:
        return fetch_photo(url)
    except MediaFetchError as exc:
        return exc
