"""Dossier statuses: the internal sub-status and the national status 1–10 it maps to (DOMAIN.md §2.1)."""

from __future__ import annotations

from enum import StrEnum


class SubStatus(StrEnum):
    MOI_DANG_KY = "MOI_DANG_KY"
    DA_TIEP_NHAN = "DA_TIEP_NHAN"
    KHONG_TIEP_NHAN = "KHONG_TIEP_NHAN"
    CHO_PHAN_CONG = "CHO_PHAN_CONG"
    DANG_THAM_DINH = "DANG_THAM_DINH"
    KIEM_TRA_THUC_TE = "KIEM_TRA_THUC_TE"
    CHO_XEM_XET = "CHO_XEM_XET"
    CHO_KY_DUYET = "CHO_KY_DUYET"
    CHO_PHAT_HANH = "CHO_PHAT_HANH"
    CHO_BO_SUNG = "CHO_BO_SUNG"
    CHO_NGHIA_VU_TAI_CHINH = "CHO_NGHIA_VU_TAI_CHINH"
    YEU_CAU_RUT = "YEU_CAU_RUT"
    DUNG_XU_LY = "DUNG_XU_LY"
    TU_CHOI_GIAI_QUYET = "TU_CHOI_GIAI_QUYET"
    DA_XU_LY_XONG = "DA_XU_LY_XONG"
    DA_TRA_KET_QUA = "DA_TRA_KET_QUA"


NATIONAL: dict[SubStatus, int] = {
    SubStatus.MOI_DANG_KY: 1,
    SubStatus.DA_TIEP_NHAN: 2,
    SubStatus.KHONG_TIEP_NHAN: 3,
    SubStatus.CHO_PHAN_CONG: 4,
    SubStatus.DANG_THAM_DINH: 4,
    SubStatus.KIEM_TRA_THUC_TE: 4,
    SubStatus.CHO_XEM_XET: 4,
    SubStatus.CHO_KY_DUYET: 4,
    SubStatus.CHO_PHAT_HANH: 4,
    SubStatus.CHO_BO_SUNG: 5,
    SubStatus.CHO_NGHIA_VU_TAI_CHINH: 6,
    SubStatus.YEU_CAU_RUT: 7,
    SubStatus.DUNG_XU_LY: 8,
    SubStatus.TU_CHOI_GIAI_QUYET: 8,
    SubStatus.DA_XU_LY_XONG: 9,
    SubStatus.DA_TRA_KET_QUA: 10,
}

NATIONAL_NAMES: dict[int, str] = {
    1: "Mới đăng ký",
    2: "Được tiếp nhận",
    3: "Không được tiếp nhận",
    4: "Đang xử lý",
    5: "Yêu cầu bổ sung giấy tờ",
    6: "Yêu cầu thực hiện nghĩa vụ tài chính",
    7: "Công dân yêu cầu rút hồ sơ",
    8: "Dừng xử lý",
    9: "Đã xử lý xong",
    10: "Đã trả kết quả",
}

SUB_STATUS_NAMES: dict[SubStatus, str] = {
    SubStatus.MOI_DANG_KY: "Mới đăng ký, chờ tiếp nhận",
    SubStatus.DA_TIEP_NHAN: "Đã tiếp nhận",
    SubStatus.KHONG_TIEP_NHAN: "Không tiếp nhận",
    SubStatus.CHO_PHAN_CONG: "Chờ phân công thụ lý",
    SubStatus.DANG_THAM_DINH: "Đang thẩm định",
    SubStatus.KIEM_TRA_THUC_TE: "Đang kiểm tra thực tế",
    SubStatus.CHO_XEM_XET: "Chờ lãnh đạo phòng xem xét",
    SubStatus.CHO_KY_DUYET: "Chờ lãnh đạo ký duyệt",
    SubStatus.CHO_PHAT_HANH: "Chờ văn thư phát hành",
    SubStatus.CHO_BO_SUNG: "Chờ bổ sung hồ sơ",
    SubStatus.CHO_NGHIA_VU_TAI_CHINH: "Chờ thực hiện nghĩa vụ tài chính",
    SubStatus.YEU_CAU_RUT: "Công dân yêu cầu rút hồ sơ",
    SubStatus.DUNG_XU_LY: "Dừng xử lý",
    SubStatus.TU_CHOI_GIAI_QUYET: "Từ chối giải quyết",
    SubStatus.DA_XU_LY_XONG: "Đã có kết quả",
    SubStatus.DA_TRA_KET_QUA: "Đã trả kết quả",
}

# The clock stops for good at these (the end of processing for the on-time statistic, QĐ 766).
FINISHING = frozenset(
    {SubStatus.KHONG_TIEP_NHAN, SubStatus.DUNG_XU_LY, SubStatus.TU_CHOI_GIAI_QUYET, SubStatus.DA_XU_LY_XONG}
)
# Statuses after which nothing more happens to the dossier.
TERMINAL = frozenset(
    {SubStatus.KHONG_TIEP_NHAN, SubStatus.DUNG_XU_LY, SubStatus.TU_CHOI_GIAI_QUYET, SubStatus.DA_TRA_KET_QUA}
)

STEP_NAMES: dict[str, str] = {
    "nop_ho_so": "Nộp hồ sơ",
    "tiep_nhan": "Tiếp nhận hồ sơ",
    "nhan_bo_sung": "Nhận hồ sơ bổ sung",
    "phan_cong": "Phân công thụ lý",
    "kiem_tra_thuc_te": "Kiểm tra thực tế",
    "tham_dinh": "Thẩm định hồ sơ",
    "thu_phi": "Thực hiện nghĩa vụ tài chính",
    "xem_xet": "Xem xét, trình ký",
    "ky_duyet": "Ký duyệt",
    "phat_hanh": "Vào sổ, phát hành",
    "tra_ket_qua": "Trả kết quả",
    "rut_ho_so": "Công dân rút hồ sơ",
    "xin_loi": "Xin lỗi và hẹn lại ngày trả kết quả",
}
