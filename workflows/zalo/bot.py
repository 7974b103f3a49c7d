"""Answers to what a citizen types to the OA (channel-agnostic: the Zalo webhook calls `answer_text` with
the sender's user id, which only the verified webhook knows). Keywords, accents and case ignored:

- `tra cứu` → the linked citizen's own dossiers (linked to this account, or under the phone the account
  proved with a one-time code, `workflows/zalo/phone_proof.py`);
- `<mã hồ sơ> <4 số cuối SĐT/CCCD>` → the dossier's status only (it never makes this account a recipient);
  each guess spends the dossier's shared budget (`budget.py`), as on the web;
- `tra cứu cccd <số CCCD> [4 số cuối SĐT]` → that person's dossiers (the proven phone is a second factor;
  the ID number's shared budget is spent);
- `tra cứu tên <họ tên>; <mã thủ tục>; <ngày nộp dd/mm/yyyy>` → masked matches;
- `phản ánh <nội dung>` → a feedback case (photos and a location sent next are attached to it,
  `citizen_media.py`); `dịch vụ công [từ khóa]`, `tin tức`, `hướng dẫn`;
- `dừng` / `nhận thông báo` → stop / resume Zalo notifications (`consent.py`, answered before this module).
"""

from __future__ import annotations

import re
from datetime import date, datetime

from sqlmodel import Session, col, or_, select

from connectors.zalo.users import get_user
from engine import Engine
from workflows import audit
from workflows.collaborators import DomainServices
from workflows.core import ratelimit
from workflows.core.clock import ensure_utc, to_local
from workflows.core.errors import MotcuaError
from workflows.core.text import search_key
from workflows.dossiers.models import Dossier
from workflows.feedback import service as feedback
from workflows.feedback.attachments import ATTACH_WINDOW
from workflows.feedback.schemas import FeedbackIn
from workflows.lookup import budget
from workflows.lookup import service as lookup
from workflows.lookup.schemas import DossierSummary
from workflows.news import service as news
from workflows.procedures import queries as catalogue
from workflows.zalo import news_answer

_CODE = re.compile(r"\b([A-Z0-9][A-Z0-9.]*-\d{6,8}-\d{4,})\b", re.IGNORECASE)
_FOUR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_ID = re.compile(r"(?<!\d)(\d{12}|\d{9})(?!\d)")
_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
MAX_LISTED = 5
ATTACH_MINUTES = int(ATTACH_WINDOW.total_seconds() // 60)
HOW_TO_LINK = (
    "Để nhận thông báo các bước xử lý tại đây, nhắn LIÊN KẾT, chia sẻ số điện thoại đã khai trong hồ sơ "
    "rồi nhắn lại mã xác thực 6 chữ số được gửi qua Zalo tới số điện thoại đó."
)

HELP = (
    "{centre} xin chào! Ông/bà có thể nhắn:\n"
    "• TRA CỨU – xem các hồ sơ của ông/bà đã liên kết với Zalo này\n"
    "• <Mã hồ sơ> <4 số cuối SĐT hoặc CCCD> – xem tình trạng hồ sơ, "
    "ví dụ: H60.22-261124-0001 5678\n"
    "• LIÊN KẾT – chia sẻ số điện thoại đã khai trong hồ sơ rồi nhắn lại mã xác thực 6 chữ số nhận qua "
    "Zalo, để nhận thông báo về hồ sơ tại đây\n"
    "• TRA CỨU CCCD <số CCCD> <4 số cuối SĐT> – các hồ sơ theo số định danh\n"
    "• TRA CỨU TÊN <họ tên>; <mã thủ tục>; <ngày nộp dd/mm/yyyy>\n"
    "• PHẢN ÁNH <nội dung> – gửi phản ánh, kiến nghị\n"
    "• DỊCH VỤ CÔNG [từ khóa] – thủ tục, giấy tờ, lệ phí, thời hạn\n"
    "• TIN TỨC – tin tức và video hướng dẫn\n"
    "• DỪNG – tắt thông báo qua Zalo; NHẬN THÔNG BÁO – bật lại"
)


def answer_text(
    session: Session, *, services: DomainServices, engine: Engine, zalo_user_id: str, text: str
) -> str:
    """The reply to `text` from `zalo_user_id` (≤ 2,000 characters). Writes what the command implies
    (link, feedback case, audit entries, rate-limit counts) in the caller's transaction; never raises for
    what a citizen can type."""
    raw = " ".join(text.split())
    key = search_key(raw)
    try:
        if _CODE.search(raw) and not key.startswith(("phan anh", "kien nghi")):
            return _by_code(session, services=services, uid=zalo_user_id, raw=raw)
        if key.startswith(("tra cuu cccd", "tra cuu cmnd", "tra cuu so dinh danh")):
            return _by_id(session, services=services, uid=zalo_user_id, raw=raw)
        if key.startswith("tra cuu ten"):
            return _by_name(session, services=services, uid=zalo_user_id, raw=raw)
        if key in ("tra cuu", "tra cuu ho so", "ho so cua toi"):
            return _own_dossiers(session, services=services, uid=zalo_user_id)
        if key.startswith(("phan anh", "kien nghi", "gop y")):
            return _feedback(session, services=services, engine=engine, uid=zalo_user_id, raw=raw)
        if key.startswith("dich vu cong"):
            return _services(session, services=services, query=key.removeprefix("dich vu cong").strip())
        if key.startswith("tin tuc"):  # the articles on Zalo first (news_answer.py)
            return news_answer.latest_text(session) or _news(session)
        if key.startswith(("tin tuc", "video")):
            return _news(session)
    except MotcuaError as exc:  # invalid input the citizen can fix: say what is wrong
        return exc.detail
    return HELP.format(centre=services.settings.centre_name)


def _limited(session: Session, *, services: DomainServices, uid: str, kind: str) -> str | None:
    limit = ratelimit.FEEDBACK if kind == "feedback" else ratelimit.LOOKUP
    wait = ratelimit.count(session, key=f"zalo:{uid}:{kind}", limit=limit, now=services.clock.now())
    return None if wait is None else f"Ông/bà đã gửi quá nhiều yêu cầu; vui lòng thử lại sau {wait} giây."


def _day(value: datetime | None) -> str:
    return to_local(ensure_utc(value)).strftime("%d/%m/%Y") if value else "—"


def _summary_line(item: DossierSummary) -> str:
    late = f" ({item.lateness_name})" if item.lateness_name else ""
    return (
        f"• {item.code} – {item.procedure_name}\n  {item.status_name}{late}; nộp {_day(item.submitted_at)}"
        f"{'; hẹn trả ' + _day(item.due_at) if item.due_at else ''}"
    )


def _by_code(session: Session, *, services: DomainServices, uid: str, raw: str) -> str:
    """The dossier's status, never a link: whoever knows a code and its digits may read the status, but
    only a proven phone makes an account a recipient (`phone_proof.py`)."""
    refused = _limited(session, services=services, uid=uid, kind="lookup")
    if refused:
        return refused
    match = _CODE.search(raw)
    assert match is not None
    code = match.group(1).upper()
    rest = raw[: match.start()] + " " + raw[match.end() :]
    verifier = _FOUR.search(rest)
    now = services.clock.now()
    if verifier is None:
        dossier = _reached_here(session, uid=uid, code=code)
        if dossier is None:
            return (
                f"Để xem hồ sơ {code}, vui lòng nhắn kèm 4 chữ số cuối số điện thoại hoặc số CCCD/CMND "
                f"của người nộp, ví dụ: {code} 5678"
            )
        factor = "zalo_link"
    else:
        exhausted = budget.spend(session, services=services, subject=budget.dossier_subject(code))
        if exhausted is not None:
            audit.record(session, actor=f"zalo:{uid}", action="public.lookup_code", at=now,
                         data={"result": "locked"})
            return exhausted.detail
        dossier = lookup.find_verified(session, services=services, code=code, verifier=verifier.group(1))
        factor = "verifier"
    audit.record(
        session,
        actor=f"zalo:{uid}",
        action="public.lookup_code",
        at=now,
        dossier_code=dossier.code if dossier else None,
        data={"result": "found" if dossier else "refused", "factor": factor},
    )
    if dossier is None:
        return lookup.refusal().detail
    return _status_text(session, services=services, dossier=dossier, now=now,
                        reached_here=_reached_here(session, uid=uid, code=dossier.code) is not None)


def _reached_here(session: Session, *, uid: str, code: str) -> Dossier | None:
    """The dossier when this account is its recipient: linked to it, or holding its phone, proven."""
    user = get_user(session, user_id=uid)
    condition = Dossier.zalo_user_id == uid
    if user is not None and user.phone_hash:
        condition = or_(condition, Dossier.applicant_phone_hash == user.phone_hash)
    return session.exec(select(Dossier).where(Dossier.code == code, condition)).first()


def _status_text(session: Session, *, services: DomainServices, dossier: Dossier, now: datetime,
                 reached_here: bool) -> str:
    result = lookup.result_of(session, services=services, dossier=dossier, now=now)
    steps = "\n".join(
        f"• {to_local(t.at):%d/%m %H:%M} {t.step_name}" + (f" – {t.unit}" if t.unit else "")
        for t in result.timeline[-5:]
    )
    late = f" ({result.lateness_name})" if result.lateness_name else ""
    tail = "" if reached_here else f"\n{HOW_TO_LINK}"
    return (
        f"Hồ sơ {result.code} – {result.procedure_name}\nNgười nộp: {result.applicant_name}\n"
        f"Tình trạng: {result.status_name}{late}\nNgày nộp: {_day(result.submitted_at)}; "
        f"hẹn trả: {_day(result.due_at)}\nQuá trình xử lý:\n{steps}{tail}"
    )


def _own_dossiers(session: Session, *, services: DomainServices, uid: str) -> str:
    user = get_user(session, user_id=uid)
    condition = Dossier.zalo_user_id == uid
    if user is not None and user.phone_hash:
        condition = or_(condition, Dossier.applicant_phone_hash == user.phone_hash)
    rows = session.exec(
        select(Dossier).where(condition).order_by(col(Dossier.submitted_at).desc()).limit(MAX_LISTED)
    ).all()
    now = services.clock.now()
    audit.record(session, actor=f"zalo:{uid}", action="public.lookup_own", at=now, data={"count": len(rows)})
    if not rows:
        return (
            "Chưa có hồ sơ nào liên kết với tài khoản Zalo này. Nhắn <mã hồ sơ> <4 số cuối SĐT hoặc CCCD> "
            f"để xem tình trạng một hồ sơ, ví dụ: H60.22-261124-0001 5678\n{HOW_TO_LINK}"
        )
    lines = [_summary_line(lookup.summary_of(session, services=services, dossier=d, now=now)) for d in rows]
    return "Hồ sơ của ông/bà:\n" + "\n".join(lines)


def _by_id(session: Session, *, services: DomainServices, uid: str, raw: str) -> str:
    refused = _limited(session, services=services, uid=uid, kind="lookup")
    if refused:
        return refused
    number = _ID.search(raw)
    if number is None:
        return "Vui lòng nhắn: TRA CỨU CCCD <số CCCD 12 số> <4 số cuối số điện thoại của người nộp>"
    last4 = _FOUR.search(raw[number.end() :])
    exhausted = budget.spend(session, services=services, subject=budget.id_subject(number.group(1)))
    if exhausted is not None:
        return exhausted.detail
    items = lookup.by_id(
        session,
        services=services,
        id_number=number.group(1),
        actor=f"zalo:{uid}",
        phone_last4=last4.group(1) if last4 else None,
        zalo_user_id=None if last4 else uid,
    )
    if items is None:
        hint = "" if last4 else " Nếu tài khoản Zalo chưa xác thực số điện thoại, hãy nhắn kèm 4 số cuối SĐT."
        return lookup.refusal().detail + hint
    return "Hồ sơ theo số định danh đã nhập:\n" + "\n".join(_summary_line(i) for i in items[:MAX_LISTED])


def _by_name(session: Session, *, services: DomainServices, uid: str, raw: str) -> str:
    refused = _limited(session, services=services, uid=uid, kind="lookup")
    if refused:
        return refused
    body = re.sub(r"^\s*\S+\s+\S+\s+\S+", "", raw, count=1)  # drop "tra cứu tên"
    parts = [p.strip() for p in body.split(";")]
    if len(parts) != 3 or not all(parts):
        return "Vui lòng nhắn: TRA CỨU TÊN <họ tên>; <mã thủ tục>; <ngày nộp dd/mm/yyyy>"
    day = _DATE.search(parts[2])
    try:
        received_on = date(int(day.group(3)), int(day.group(2)), int(day.group(1))) if day else None
    except ValueError:
        received_on = None
    if received_on is None:
        return "Ngày nộp hồ sơ chưa đúng dạng dd/mm/yyyy."
    found = lookup.by_name(
        session,
        services=services,
        full_name=parts[0],
        procedure_code=parts[1],
        received_on=received_on,
        actor=f"zalo:{uid}",
    )
    if not found.items:
        return "Không có hồ sơ nào khớp họ tên, thủ tục và ngày nộp đã nhập."
    lines = [f"• {m.code_hint} – {m.applicant_name}: {m.status_name}" for m in found.items]
    more = "\n(Còn hồ sơ khác; vui lòng tra cứu bằng mã hồ sơ.)" if found.truncated else ""
    return "Hồ sơ khớp thông tin:\n" + "\n".join(lines) + more


def _feedback(session: Session, *, services: DomainServices, engine: Engine, uid: str, raw: str) -> str:
    refused = _limited(session, services=services, uid=uid, kind="feedback")
    if refused:
        return refused
    content = re.sub(
        r"^\s*(ph[aả]n\s+[aá]nh|ki[eế]n\s+ngh[iị]|g[oó]p\s+[yý])\s*[:\-]?\s*", "", raw, flags=re.IGNORECASE
    )
    if len(content) < 10:
        return "Vui lòng nhắn: PHẢN ÁNH <nội dung phản ánh, kiến nghị> (ít nhất 10 ký tự)."
    code = _CODE.search(content)
    case = feedback.submit(
        session,
        engine=engine,
        services=services,
        channel="zalo",
        actor=f"zalo:{uid}",
        zalo_user_id=uid,
        body=FeedbackIn(
            category="ho_so" if code else "khac",
            content=content[:4000],
            dossier_code=code.group(1).upper() if code else None,
        ),
    )
    return (
        f"Đã nhận phản ánh, kiến nghị {case.code}. Câu trả lời sẽ được gửi qua Zalo này "
        f"chậm nhất ngày {_day(case.due_at)}. Ông/bà có thể gửi thêm ảnh, vị trí trong vòng "
        f"{ATTACH_MINUTES} phút để bổ sung cho phản ánh này."
    )


def _services(session: Session, *, services: DomainServices, query: str) -> str:
    items = catalogue.public_catalogue(session, agency_name=services.settings.agency_name,
                                 centre_name=services.settings.centre_name, query=query or None)
    if not items:
        return "Không tìm thấy thủ tục phù hợp. Nhắn DỊCH VỤ CÔNG để xem danh sách."
    if len(items) == 1:
        p = items[0]
        return (
            f"{p.name} ({p.code})\nThời hạn: {p.time_limit}\nPhí, lệ phí: {'; '.join(p.fees)}\n"
            f"Giấy tờ: {'; '.join(p.documents)}\nNơi nộp: {p.where_to_submit}"
        )[:2000]
    lines = [f"• {p.name} – {p.time_limit} ({p.code})" for p in items[:8]]
    return ("Dịch vụ công (nhắn DỊCH VỤ CÔNG <từ khóa> để xem chi tiết):\n" + "\n".join(lines))[:2000]


def _news(session: Session) -> str:
    items = news.published(session, limit=MAX_LISTED)
    if not items:
        return "Chưa có tin tức, hướng dẫn mới."
    lines = [
        f"• {'[Video] ' if i.video_url else ''}{i.title}" + (f"\n  {i.video_url}" if i.video_url else "")
        for i in items
    ]
    return "Tin tức và hướng dẫn:\n" + "\n".join(lines)
