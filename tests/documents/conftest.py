"""A dossier with long Vietnamese names, as every form sees it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from workflows.core.config import CryptoSettings
from workflows.documents.context import ControlLogRow, DocumentLine, FormContext, RegisterRow, lookup_url
from workflows.documents.storage import FileStore
from workflows.privacy import PersonalDataCipher

LONG_APPLICANT = "Công ty Trách nhiệm Hữu hạn Một thành viên Dịch vụ Văn hóa Nghệ thuật Ánh Dương Tuyên Quang"
LONG_PROCEDURE = (
    "Cấp Giấy phép đủ điều kiện kinh doanh dịch vụ karaoke, dịch vụ vũ trường (thủ tục liên thông đồng thời "
    "với thủ tục thẩm định, phê duyệt điều kiện về phòng cháy, chữa cháy và bảo vệ môi trường)"
)
DOSSIER_CODE = "H60.22-261124-0007"
# 2026-11-24 09:05 and 2026-12-01 16:30 in Hanoi (UTC+7).
RECEIVED = datetime(2026, 11, 24, 2, 5, tzinfo=UTC)
APPOINTMENT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
NEW_APPOINTMENT = datetime(2026, 12, 8, 9, 30, tzinfo=UTC)


@pytest.fixture
def form_context() -> FormContext:
    return FormContext(
        agency_name="Sở Văn hóa, Thể thao và Du lịch tỉnh Tuyên Quang",
        parent_agency_name="Ủy ban nhân dân tỉnh Tuyên Quang",
        agency_code="H60.22",
        place_name="Tuyên Quang",
        document_number="0007/TNHS",
        issued_at=RECEIVED,
        dossier_code=DOSSIER_CODE,
        procedure_name=LONG_PROCEDURE,
        time_limit_text="05 ngày làm việc",
        applicant_name=LONG_APPLICANT,
        applicant_address="Số 268, đường Trần Hưng Đạo, tổ 12, phường Minh Xuân, tỉnh Tuyên Quang",
        applicant_phone_masked="09******89",
        applicant_email="anhduong.tq@example.vn",
        documents=[
            DocumentLine("Đơn đề nghị cấp Giấy phép đủ điều kiện kinh doanh dịch vụ karaoke (Mẫu số 01)", 1,
                         "Bản chính"),
            DocumentLine("Giấy chứng nhận đăng ký doanh nghiệp", 1, "Bản sao chứng thực"),
            DocumentLine("Bản vẽ mặt bằng, bố trí các phòng hát và lối thoát hiểm", 2, "Bản sao"),
        ],
        received_at=RECEIVED,
        appointment_at=APPOINTMENT,
        new_appointment_at=NEW_APPOINTMENT,
        official_name="Nguyễn Thị Hồng Nhung",
        official_title="Phó Giám đốc",
        official_phone="0207 3822 xxx",
        reason="Phòng hát số 3 chưa bảo đảm diện tích sử dụng tối thiểu 20 m² theo Điều 4 Nghị định số "
        "54/2019/NĐ-CP; cần đo đạc lại và nộp bản vẽ đã điều chỉnh.",
        items=[DocumentLine("Bản vẽ mặt bằng đã điều chỉnh diện tích phòng hát số 3", 1, "Bản chính")],
        stage="Thẩm định hồ sơ tại Phòng Quản lý Văn hóa",
        coordinating_agency="Công an tỉnh Tuyên Quang (Phòng Cảnh sát phòng cháy, chữa cháy và cứu nạn, "
        "cứu hộ)",
        control_log=[
            ControlLogRow("Bộ phận Một cửa", "Phòng Quản lý Văn hóa", RECEIVED + timedelta(hours=3),
                          from_user="Nguyễn Thị Hồng Nhung", to_user="Trần Văn Đức",
                          due_at=RECEIVED + timedelta(hours=6)),
            ControlLogRow("Phòng Quản lý Văn hóa", "Chuyên viên thụ lý",
                          RECEIVED + timedelta(days=1, hours=1),
                          from_user="Trần Văn Đức", to_user="Lê Thị Thu Hường",
                          due_at=RECEIVED + timedelta(days=2), note="Phân công"),
            ControlLogRow("Chuyên viên thụ lý", "Lãnh đạo Sở", RECEIVED + timedelta(days=4),
                          from_user="Lê Thị Thu Hường", to_user="Phạm Quang Vinh",
                          due_at=RECEIVED + timedelta(days=3), note="Thẩm định thực tế"),
        ],
        register_rows=[
            RegisterRow(DOSSIER_CODE, LONG_PROCEDURE, LONG_APPLICANT, RECEIVED, APPOINTMENT,
                        applicant_address="Phường Minh Xuân, tỉnh Tuyên Quang",
                        applicant_phone_masked="09******89",
                        lead_agency="Phòng Quản lý Văn hóa", transferred_at=RECEIVED + timedelta(hours=3)),
            RegisterRow("H60.22-261124-0008",
                        "Cấp Giấy chứng nhận đủ điều kiện kinh doanh hoạt động thể thao",
                        "Hoàng Văn Thắng", RECEIVED + timedelta(hours=1), APPOINTMENT + timedelta(days=2),
                        applicant_phone_masked="03******12", lead_agency="Phòng Quản lý Thể dục thể thao",
                        returned_at=APPOINTMENT),
        ],
        period_start=date(2026, 11, 1),
        period_end=date(2026, 11, 30),
        lookup_url=lookup_url("https://dichvucong.tuyenquang.gov.vn/", DOSSIER_CODE),
        result_channel="Tại Bộ phận Một cửa, Trung tâm Phục vụ hành chính công tỉnh",
        fees_text="Phí thẩm định: 6.000.000 đồng (đã thanh toán trực tuyến)",
    )


@pytest.fixture
def store(tmp_path: Path) -> FileStore:
    """Encrypted at rest, as the wiring builds it."""
    return FileStore(tmp_path / "files", PersonalDataCipher.from_settings(CryptoSettings()))
