"""Every path of the library processes, run with plain SpiffWorkflow: which statuses, notifications and forms
the BPMN asks the operators for, in order, with a serializer round trip after every step."""

from __future__ import annotations

import pytest
from SpiffWorkflow.exceptions import WorkflowException

from .spiff_driver import PROCESSES, Run, parse


def S(code):
    return ("status", code)


def N(event):
    return ("notify", event)


def R(form):
    return ("render", form)


ACCEPTED = [S("DA_TIEP_NHAN"), R("MAU_01"), N("TIEP_NHAN"), S("CHO_PHAN_CONG")]
SUPPLEMENT = [S("CHO_BO_SUNG"), R("MAU_02"), N("BO_SUNG")]
WITHDRAWN = [S("YEU_CAU_RUT"), S("DUNG_XU_LY"), R("MAU_05"), N("DUNG_XU_LY")]
FORMS = {
    "tiep_nhan": {"quyet_dinh": "tiep_nhan"},
    "nhan_bo_sung": {"da_bo_sung": True, "ghi_chu": "Đã nhận bản sao chứng thực"},
    "phan_cong": {"case_officer": "cv.tran", "ghi_chu": "Xử lý trong ngày"},
    "kiem_tra_thuc_te": {"ngay_kiem_tra": "2025-01-03", "dat_yeu_cau": True, "bien_ban": "Đạt chuẩn"},
    "tham_dinh": {"quyet_dinh": "dat"},
    "thu_phi": {"da_nop": True, "so_bien_lai": "BL-000123"},
    "xem_xet": {"quyet_dinh": "trinh_ky"},
    "ky_duyet": {"quyet_dinh": "ky"},
    "phat_hanh": {"so_van_ban": "12/GP-SVHTTDL", "ngay_ban_hanh": "2025-01-06"},
    "tra_ket_qua": {"hinh_thuc_tra": "truc_tiep"},
}


@pytest.fixture(scope="module", params=sorted(PROCESSES))
def process(request):
    return request.param


@pytest.fixture(scope="module")
def specs(process):
    return parse(process)


def start(process, specs, **data) -> Run:
    run = Run(process, specs, **data)
    assert run.trail() == [S("MOI_DANG_KY")]
    assert run.ready() == ["tiep_nhan"]
    return run


def assign(run: Run, process: str) -> None:
    """phan_cong (and the site inspection of the karaoke process) up to the READY appraisal."""
    trail = run.complete("phan_cong", **FORMS["phan_cong"])
    if process == "karaoke_vu_truong":
        assert trail == [S("KIEM_TRA_THUC_TE"), N("THAM_DINH")]
        assert run.task("kiem_tra_thuc_te").data["case_officer"] == "cv.tran"
        assert run.complete("kiem_tra_thuc_te", **FORMS["kiem_tra_thuc_te"]) == [S("DANG_THAM_DINH")]
    else:
        assert trail == [S("DANG_THAM_DINH"), N("PHAN_CONG")]
    assert run.ready() == ["tham_dinh"]
    assert run.task("tham_dinh").data["case_officer"] == "cv.tran"


def sign_and_return(run: Run) -> None:
    """From a READY xem_xet to the end of a granted dossier."""
    assert run.complete("xem_xet", **FORMS["xem_xet"]) == [S("CHO_KY_DUYET"), N("KY_DUYET")]
    assert run.complete("ky_duyet", **FORMS["ky_duyet"]) == [("sign", "KET_QUA"), S("CHO_PHAT_HANH")]
    assert run.complete("phat_hanh", **FORMS["phat_hanh"]) == [S("DA_XU_LY_XONG"), N("DA_CO_KET_QUA")]
    assert run.complete("tra_ket_qua", **FORMS["tra_ket_qua"]) == [S("DA_TRA_KET_QUA"), N("TRA_KET_QUA")]
    assert run.wf.is_completed() and run.ready() == []
    assert run.end_event() == "end_da_tra_ket_qua"


@pytest.mark.parametrize("fee", [False, True], ids=["no_fee", "fee"])
def test_accept_appraise_sign_return(process, specs, fee):
    run = start(process, specs, has_financial_obligation=fee)
    assert run.complete("tiep_nhan", **FORMS["tiep_nhan"]) == ACCEPTED
    assert run.ready() == ["phan_cong"]
    assign(run, process)
    trail = run.complete("tham_dinh", **FORMS["tham_dinh"])
    if fee:
        assert trail == [S("CHO_NGHIA_VU_TAI_CHINH"), N("NGHIA_VU_TAI_CHINH")]
        assert run.complete("thu_phi", **FORMS["thu_phi"]) == [S("CHO_XEM_XET")]
    else:
        assert trail == [S("CHO_XEM_XET")]
    sign_and_return(run)
    assert run.data()["hinh_thuc_tra"] == "truc_tiep"
    assert ("render", "MAU_02") not in run.trail()


def test_desk_supplement_then_accept(process, specs):
    run = start(process, specs)
    trail = run.complete("tiep_nhan", quyet_dinh="bo_sung", ly_do="Thiếu giấy tờ",
                         giay_to_thieu=["Bản sao Giấy chứng nhận đăng ký doanh nghiệp"])
    assert trail == SUPPLEMENT
    assert run.ready() == ["nhan_bo_sung"]
    # the dossier was never accepted: the supplement goes back to the reception check, clock not started
    assert run.complete("nhan_bo_sung", **FORMS["nhan_bo_sung"]) == []
    assert run.ready() == ["tiep_nhan"]
    assert run.complete("tiep_nhan", **FORMS["tiep_nhan"]) == ACCEPTED
    assign(run, process)
    assert run.complete("tham_dinh", **FORMS["tham_dinh"]) == [S("CHO_XEM_XET")]
    sign_and_return(run)


def test_refusal_at_desk(process, specs):
    run = start(process, specs)
    trail = run.complete("tiep_nhan", quyet_dinh="tu_choi", ly_do="Không thuộc thẩm quyền giải quyết")
    assert trail == [S("KHONG_TIEP_NHAN"), R("MAU_03"), N("KHONG_TIEP_NHAN")]
    assert run.wf.is_completed() and run.ready() == []
    assert run.end_event() == "end_khong_tiep_nhan"


def test_supplement_after_acceptance_then_continue(process, specs):
    run = start(process, specs, has_financial_obligation=True)
    run.complete("tiep_nhan", **FORMS["tiep_nhan"])
    assign(run, process)
    trail = run.complete("tham_dinh", quyet_dinh="bo_sung", ly_do="Thiếu bản vẽ",
                         noi_dung_bo_sung="Bản vẽ mặt bằng phòng hát")
    assert trail == SUPPLEMENT
    assert run.ready() == ["nhan_bo_sung"]
    # received at the desk, back to the same case officer (no new assignment)
    assert run.complete("nhan_bo_sung", **FORMS["nhan_bo_sung"]) == [S("DANG_THAM_DINH"), N("THAM_DINH")]
    assert run.ready() == ["tham_dinh"]
    assert run.task("tham_dinh").data["case_officer"] == "cv.tran"
    trail = run.complete("tham_dinh", **FORMS["tham_dinh"])
    assert trail == [S("CHO_NGHIA_VU_TAI_CHINH"), N("NGHIA_VU_TAI_CHINH")]
    assert run.complete("thu_phi", **FORMS["thu_phi"]) == [S("CHO_XEM_XET")]
    sign_and_return(run)


def test_refusal_after_appraisal_is_returned_through_the_desk(process, specs):
    run = start(process, specs)
    run.complete("tiep_nhan", **FORMS["tiep_nhan"])
    assign(run, process)
    trail = run.complete("tham_dinh", quyet_dinh="tu_choi", ly_do="Không đủ điều kiện về diện tích phòng")
    assert trail == [S("TU_CHOI_GIAI_QUYET"), R("MAU_03"), N("TU_CHOI")]
    assert run.ready() == ["tra_ket_qua"]
    # handing over the refusal letter keeps national status 8: no DA_TRA_KET_QUA, no second message
    assert run.complete("tra_ket_qua", **FORMS["tra_ket_qua"]) == []
    assert run.wf.is_completed()
    assert run.end_event() == "end_tu_choi"


def test_review_and_signature_send_back(process, specs):
    run = start(process, specs)
    run.complete("tiep_nhan", **FORMS["tiep_nhan"])
    assign(run, process)
    assert run.complete("tham_dinh", **FORMS["tham_dinh"]) == [S("CHO_XEM_XET")]
    assert run.complete("xem_xet", quyet_dinh="tra_lai", y_kien="Bổ sung căn cứ") == [S("DANG_THAM_DINH")]
    assert run.ready() == ["tham_dinh"]
    assert run.complete("tham_dinh", **FORMS["tham_dinh"]) == [S("CHO_XEM_XET")]
    assert run.complete("xem_xet", **FORMS["xem_xet"]) == [S("CHO_KY_DUYET"), N("KY_DUYET")]
    assert run.complete("ky_duyet", quyet_dinh="tra_lai", y_kien="Sửa thời hạn") == [S("CHO_XEM_XET")]
    assert run.ready() == ["xem_xet"]
    sign_and_return(run)


WITHDRAW_AT = ["tiep_nhan", "nhan_bo_sung", "phan_cong", "kiem_tra_thuc_te", "tham_dinh",
               "nhan_bo_sung@tham_dinh", "thu_phi", "xem_xet", "ky_duyet"]


def walk_to(run: Run, process: str, target: str) -> None:
    """Drive the granted path (with fee) until `target` is READY; 'nhan_bo_sung' = desk round,
    'nhan_bo_sung@tham_dinh' = supplement requested during appraisal."""
    if target == "nhan_bo_sung":
        run.complete("tiep_nhan", quyet_dinh="bo_sung", ly_do="Thiếu giấy tờ", giay_to_thieu=["Tờ khai"])
        return
    steps = ["tiep_nhan", "phan_cong", "kiem_tra_thuc_te", "tham_dinh", "thu_phi", "xem_xet", "ky_duyet",
             "phat_hanh", "tra_ket_qua"]
    for step in steps:
        if target == "nhan_bo_sung@tham_dinh" and step == "tham_dinh":
            run.complete("tham_dinh", quyet_dinh="bo_sung", ly_do="Thiếu", noi_dung_bo_sung="Bản vẽ")
            return
        if run.ready() == [target]:
            return
        if step in run.ready():
            run.complete(step, **FORMS[step])
    raise AssertionError(f"{target} never became READY")


@pytest.mark.parametrize("target", WITHDRAW_AT)
def test_withdrawal_stops_the_dossier(process, specs, target):
    if target == "kiem_tra_thuc_te" and process != "karaoke_vu_truong":
        pytest.skip("only the karaoke process has a site inspection")
    run = start(process, specs, has_financial_obligation=True)
    walk_to(run, process, target)
    step = target.split("@")[0]
    assert run.ready() == [step]
    assert "rut_ho_so" in [e.name for e in run.wf.waiting_events()]
    assert run.withdraw(ma_yeu_cau="RUT-1") == WITHDRAWN
    assert run.wf.is_completed() and run.ready() == []
    assert run.end_event() == "end_rut_ho_so"
    assert run.data()["yeu_cau_rut"] == {"ma_yeu_cau": "RUT-1"}


@pytest.mark.parametrize("target", ["phat_hanh", "tra_ket_qua"])
def test_no_withdrawal_once_the_result_is_issued(process, specs, target):
    run = start(process, specs)
    walk_to(run, process, target)
    assert "rut_ho_so" not in [e.name for e in run.wf.waiting_events()]
    with pytest.raises(WorkflowException, match="not waiting for rut_ho_so"):
        run.withdraw(ma_yeu_cau="RUT-2")
    assert run.ready() == [target]
