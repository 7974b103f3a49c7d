"""The dossier transition table (workflows/dossiers/transitions.py): its shape, the one function that sets a
status, and the answer a refused change gets when a service makes it directly (409, the one error format)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from api import errors
from workflows.dossiers.models import Dossier
from workflows.dossiers.statuses import NATIONAL, SUB_STATUS_NAMES, TERMINAL, SubStatus
from workflows.dossiers.transitions import ALLOWED, INITIAL, InvalidTransition, apply

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
EARLIER = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def a_dossier(status: SubStatus) -> Dossier:
    return Dossier(code="H60.22-261124-0001", status=status.value, national_status=NATIONAL[status],
                   updated_at=EARLIER)


def test_every_sub_status_has_a_row_and_only_the_terminal_ones_are_dead_ends() -> None:
    assert set(ALLOWED) == set(SubStatus)
    assert all(targets <= set(SubStatus) for targets in ALLOWED.values())
    assert {status for status, targets in ALLOWED.items() if not targets} == TERMINAL


def test_every_sub_status_is_reachable_from_the_initial_one() -> None:
    reached, todo = {INITIAL}, [INITIAL]
    while todo:
        for target in ALLOWED[todo.pop()] - reached:
            reached.add(target)
            todo.append(target)
    assert reached == set(SubStatus)


def test_no_withdrawal_once_the_result_is_issued() -> None:
    before_issue = {s for s, targets in ALLOWED.items() if SubStatus.YEU_CAU_RUT in targets}
    assert SubStatus.CHO_PHAT_HANH not in before_issue and SubStatus.DA_XU_LY_XONG not in before_issue
    assert SubStatus.KIEM_TRA_THUC_TE in before_issue and SubStatus.CHO_KY_DUYET in before_issue


def test_apply_sets_the_status_and_the_national_status_that_follows() -> None:
    dossier = a_dossier(SubStatus.CHO_PHAT_HANH)
    left = apply(Session(), dossier=dossier, to=SubStatus.DA_XU_LY_XONG, now=NOW)  # never flushed
    assert left is SubStatus.CHO_PHAT_HANH
    assert (dossier.status, dossier.national_status, dossier.updated_at) == ("DA_XU_LY_XONG", 9, NOW)


@pytest.mark.parametrize(("current", "target"), [
    (SubStatus.DA_TIEP_NHAN, SubStatus.DA_TRA_KET_QUA),  # from acceptance straight to the return
    (SubStatus.KHONG_TIEP_NHAN, SubStatus.DA_TIEP_NHAN),  # out of a terminal status
    (SubStatus.DA_TRA_KET_QUA, SubStatus.DA_TRA_KET_QUA),  # no re-application where the processes make none
    (SubStatus.CHO_PHAT_HANH, SubStatus.YEU_CAU_RUT),  # withdrawal after signature
])
def test_a_refused_change_names_both_statuses_and_changes_nothing(current: SubStatus, target: SubStatus) -> None:
    dossier = a_dossier(current)
    with pytest.raises(InvalidTransition) as refused:
        apply(Session(), dossier=dossier, to=target, now=NOW)
    assert (refused.value.current, refused.value.target) == (current, target)
    assert refused.value.detail == (f"Không được chuyển hồ sơ từ trạng thái “{SUB_STATUS_NAMES[current]}” "
                                    f"sang “{SUB_STATUS_NAMES[target]}”.")
    assert (dossier.status, dossier.national_status, dossier.updated_at) == (
        current.value, NATIONAL[current], EARLIER)


def test_a_service_making_a_refused_change_answers_409_in_the_one_error_format() -> None:
    app = FastAPI()
    errors.install(app)

    @app.post("/return")
    def hand_over() -> None:
        apply(Session(), dossier=a_dossier(SubStatus.DA_TIEP_NHAN), to=SubStatus.DA_TRA_KET_QUA, now=NOW)

    response = TestClient(app).post("/return")
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert (body["status"], body["code"]) == (409, "invalid_transition")
    assert body["detail"] == "Không được chuyển hồ sơ từ trạng thái “Đã tiếp nhận” sang “Đã trả kết quả”."
