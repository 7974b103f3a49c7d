"""Who signs each form and how it reads, the fees as printed, and the return channel as a sentence.

The signing block of each form (TT 03/2025/TT-VPCP Phụ lục I; DOMAIN §1.2, §2.2):
- Mẫu 01, Mẫu 02 and a Mẫu 03 at the desk: the official who received or guided (NGƯỜI TIẾP NHẬN HỒ SƠ,
  NGƯỜI HƯỚNG DẪN), by full name with their title and unit under it;
- a Mẫu 03 after appraisal (the dossier had been accepted), Mẫu 04 and Mẫu 05: letters of the agency,
  signed and stamped by its head (or a deputy, "KT. GIÁM ĐỐC / PHÓ GIÁM ĐỐC");
- Mẫu 06 and 07 carry no signing block."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from workflows.documents.context import FeeLine, FormCode
from workflows.dossiers.models import Dossier
from workflows.identity import naming
from workflows.identity.models import Department, Official, Role

LETTER_FORMS = frozenset({FormCode.MAU_04, FormCode.MAU_05})
HEAD_TITLE = "Giám đốc"

# Mẫu 01 item 6, by the channel the applicant registered (intake `result_delivery`, or the return step's
# `hinh_thuc_tra`).
DELIVERY_SENTENCES = {
    "truc_tiep": "Ông/Bà/Tổ chức nhận kết quả trực tiếp tại Bộ phận Một cửa nơi đã nộp hồ sơ.",
    "buu_chinh": "Ông/Bà/Tổ chức nhận kết quả qua dịch vụ bưu chính công ích, gửi đến địa chỉ đã đăng ký.",
    "truc_tuyen": "Ông/Bà/Tổ chức nhận kết quả bản điện tử trực tuyến, tra cứu theo mã hồ sơ.",
}
DEFAULT_DELIVERY = "truc_tiep"


@dataclass(frozen=True)
class Signer:
    """The signing block: `heading` blank means the form's own ("Người tiếp nhận hồ sơ")."""

    name: str = ""
    position: str = ""
    heading: str = ""
    username: str = ""  # whose certificate a digital signature of the block would be made with
    unit_name: str = ""
    unit_phone: str = ""


def signer_for(session: Session, *, form: FormCode, dossier: Dossier, actor: str) -> Signer:
    """The signer of `form` for this dossier; `actor` is the login of the official whose step issues it."""
    if form in LETTER_FORMS or (form is FormCode.MAU_03 and dossier.accepted_at is not None):
        return agency_head(session, agency_code=dossier.agency_code)
    person = naming.describe(session, username=actor)
    if person is None:  # issued by the system (a timer, a message): signed by hand at the desk
        return Signer()
    return Signer(name=person.full_name, position=person.position, unit_name=person.unit_name,
                  unit_phone=person.unit_phone, username=actor)


def agency_head(session: Session, *, agency_code: str) -> Signer:
    """The Lãnh đạo Sở who signs for the agency: the Giám đốc if one is registered, else a deputy (KT.);
    with nobody registered, a blank block headed "Thủ trưởng cơ quan" to sign by hand."""
    leaders = [o for o in session.exec(
        select(Official).join(Department, col(Department.id) == col(Official.department_id))
        .where(Department.agency_code == agency_code, col(Official.disabled).is_(False))
        .order_by(col(Official.id))).all() if o.has_role(Role.LANH_DAO_SO)]
    if not leaders:
        return Signer(heading="Thủ trưởng cơ quan")
    leader = min(leaders, key=lambda o: (o.title or "").strip().lower() != HEAD_TITLE.lower())
    return Signer(name=leader.full_name, heading=signing_heading(leader.title), username=leader.username)


def signing_heading(title: str | None) -> str:
    """ "GIÁM ĐỐC" for the head; a deputy signs "KT. GIÁM ĐỐC" over "PHÓ GIÁM ĐỐC" (ký thay)."""
    title = (title or HEAD_TITLE).strip()
    if title.lower().startswith("phó "):
        chief = title[4:]
        return f"KT. {chief[:1].upper()}{chief[1:]}\n{title}"
    return title


def fee_lines(fees: list[dict[str, Any]]) -> list[FeeLine]:
    return [FeeLine(str(f.get("name", "")), str(f.get("condition") or ""), amount_text(f.get("amount")))
            for f in fees]


def amount_text(amount: object) -> str:
    if not amount:
        return "Theo quy định của HĐND tỉnh"
    return f"{int(str(amount)):,} đồng".replace(",", ".")


def delivery_sentence(channel: str | None) -> str:
    return DELIVERY_SENTENCES.get(channel or DEFAULT_DELIVERY, DELIVERY_SENTENCES[DEFAULT_DELIVERY])
