"""The allowed changes of a dossier's sub-status, written down once, and the one function that makes them.

`ALLOWED[current]` is the set of sub-statuses a dossier in `current` may move to. The table is what the
shipped dossier processes (`bpmn/mot_cua_chuan.bpmn`, `bpmn/karaoke_vu_truong.bpmn`) do on every path,
read against the national status set 1–10 (DOMAIN.md §2.1; the numbers in parentheses below):

- A dossier is born `MOI_DANG_KY` (1) at intake, before its process starts; the process's first service
  task sets it again, so `MOI_DANG_KY → MOI_DANG_KY` is allowed (and nothing else re-applies itself but
  the desk supplement, which may be asked for again after the citizen brings the papers back).
- The reception check accepts (2, the clock starts), refuses (3) or asks for a supplement (5).
- The specialised unit then works in status 4 (assign, inspect on site, appraise, review, sign, issue),
  with a supplement (5) or the fee (6) on the way; a head of unit or the signer may send the draft back.
- The citizen may withdraw (7, then 8) at every step before the result is issued (the BPMN catches
  the `rut_ho_so` message up to `ky_duyet`), never after.
- A refusal (3, 8), a stop (8) and a returned result (10) end the dossier: nothing leaves them. The
  refusal letter handed over at the desk keeps status 8, it is not "Đã trả kết quả".

`apply` is the only place that sets `Dossier.status` and the national status that follows from it; a
change outside the table raises `InvalidTransition` (409). Inside a BPMN service task that exception
becomes an incident on the task (the engine runs operators in a savepoint, so the dossier keeps its
status); retried, the same refusal opens a new one.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from workflows.core.errors import Conflict
from workflows.dossiers.models import Dossier
from workflows.dossiers.statuses import NATIONAL, SUB_STATUS_NAMES, SubStatus

S = SubStatus

# The status a dossier is created in (intake), before its process runs.
INITIAL = S.MOI_DANG_KY

# The citizen's request to withdraw is caught at every step before the result is issued.
_WITHDRAW = S.YEU_CAU_RUT

ALLOWED: dict[SubStatus, frozenset[SubStatus]] = {
    # 1: the process start re-applies it; reception accepts, refuses or asks for a supplement.
    S.MOI_DANG_KY: frozenset({S.MOI_DANG_KY, S.DA_TIEP_NHAN, S.KHONG_TIEP_NHAN, S.CHO_BO_SUNG, _WITHDRAW}),
    # 2: Giấy tiếp nhận issued; the dossier goes to the head of unit in the same step.
    S.DA_TIEP_NHAN: frozenset({S.CHO_PHAN_CONG}),
    # 4: the head of unit assigns a case officer (site inspection first where the procedure requires it).
    S.CHO_PHAN_CONG: frozenset({S.DANG_THAM_DINH, S.KIEM_TRA_THUC_TE, _WITHDRAW}),
    S.KIEM_TRA_THUC_TE: frozenset({S.DANG_THAM_DINH, _WITHDRAW}),
    # 4: appraisal asks for a supplement, refuses, asks for the fee or submits for review.
    S.DANG_THAM_DINH: frozenset(
        {S.CHO_BO_SUNG, S.TU_CHOI_GIAI_QUYET, S.CHO_NGHIA_VU_TAI_CHINH, S.CHO_XEM_XET, _WITHDRAW}),
    S.CHO_NGHIA_VU_TAI_CHINH: frozenset({S.CHO_XEM_XET, _WITHDRAW}),
    # 4: review submits for signature or sends the draft back to the case officer; the signer likewise.
    S.CHO_XEM_XET: frozenset({S.CHO_KY_DUYET, S.DANG_THAM_DINH, _WITHDRAW}),
    S.CHO_KY_DUYET: frozenset({S.CHO_PHAT_HANH, S.CHO_XEM_XET, _WITHDRAW}),
    # 4 → 9: once signed the result is issued; no withdrawal any more.
    S.CHO_PHAT_HANH: frozenset({S.DA_XU_LY_XONG}),
    # 5: received at the desk; back to the reception check (not yet accepted: accept, refuse, ask again)
    # or back to the same case officer (asked during appraisal).
    S.CHO_BO_SUNG: frozenset(
        {S.DA_TIEP_NHAN, S.KHONG_TIEP_NHAN, S.CHO_BO_SUNG, S.DANG_THAM_DINH, _WITHDRAW}),
    # 7 → 8: the withdrawal stops processing (Mẫu 05).
    S.YEU_CAU_RUT: frozenset({S.DUNG_XU_LY}),
    # 9 → 10: the result is handed over.
    S.DA_XU_LY_XONG: frozenset({S.DA_TRA_KET_QUA}),
    # 3, 8, 8, 10: the end.
    S.KHONG_TIEP_NHAN: frozenset(),
    S.DUNG_XU_LY: frozenset(),
    S.TU_CHOI_GIAI_QUYET: frozenset(),
    S.DA_TRA_KET_QUA: frozenset(),
}


class InvalidTransition(Conflict):
    """A sub-status change outside `ALLOWED`; the detail names both statuses in Vietnamese."""

    code = "invalid_transition"

    def __init__(self, current: SubStatus, target: SubStatus) -> None:
        self.current = current
        self.target = target
        super().__init__(f"Không được chuyển hồ sơ từ trạng thái “{SUB_STATUS_NAMES[current]}” "
                         f"sang “{SUB_STATUS_NAMES[target]}”.")


def allowed(current: SubStatus, target: SubStatus) -> bool:
    return target in ALLOWED[current]


def ensure_allowed(current: SubStatus, target: SubStatus) -> None:
    """Raise `InvalidTransition` unless `current → target` is in the table."""
    if not allowed(current, target):
        raise InvalidTransition(current, target)


def apply(session: Session, *, dossier: Dossier, to: SubStatus, now: datetime) -> SubStatus:
    """Move `dossier` to `to` (and the national status that follows), or raise `InvalidTransition` and
    change nothing. Returns the status it left. The clock rules that go with a change are the caller's."""
    current = SubStatus(dossier.status)
    ensure_allowed(current, to)
    dossier.status = to.value
    dossier.national_status = NATIONAL[to]
    dossier.updated_at = now
    session.add(dossier)
    return current
