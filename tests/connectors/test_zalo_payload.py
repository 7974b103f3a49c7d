"""The outbox payload contract (`connectors/zalo/payload.py`): what the domain writes is what the sender reads;
rows in the older template shapes are still read; a malformed row is refused with its reason, and the
sender dead-letters it before any call to Zalo."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.outbox import OutgoingMessage, PermanentDelivery, Recipient
from connectors.zalo.payload import Attachment, InvalidPayload, MessagePayload, UserInfoRequest
from connectors.zalo.sender import ZaloSender

TEMPLATE = {"ma_ho_so": "H60.22-261124-0001", "ten": "Nguyễn Văn A", "trang_thai": "Được tiếp nhận",
            "cta_text": "Tra cứu hồ sơ", "cta_url": "https://example.gov.vn/tra-cuu?ma=H60.22-261124-0001"}


class TestRoundTrip:
    def test_every_field_survives_the_outbox(self) -> None:
        payload = MessagePayload(
            event="TIEP_NHAN", text="Hồ sơ đã được tiếp nhận.", template=TEMPLATE, template_id="400003",
            attachment=Attachment(document_id="7", filename="mau-01.pdf"), sender="Trần Thị B",
            request_user_info=UserInfoRequest(title="Liên kết", subtitle="Chia sẻ số điện thoại"))
        assert MessagePayload.from_dict(payload.to_dict()) == payload

    def test_only_what_is_set_is_stored(self) -> None:
        assert MessagePayload(event="REPLY", text="Chào").to_dict() == {"event": "REPLY", "text": "Chào"}
        assert MessagePayload.from_dict({}) == MessagePayload()

    def test_a_documents_integer_id_is_read_as_the_loaders_key(self) -> None:
        payload = MessagePayload.from_dict({"text": "x", "attachment": {"document_id": 12, "filename": "a.pdf"}})
        assert payload.attachment == Attachment(document_id="12", filename="a.pdf")

    def test_no_attachment_is_none(self) -> None:
        assert MessagePayload.from_dict({"text": "x", "attachment": None}).attachment is None


class TestOlderTemplateShapes:
    def test_template_id_and_data(self) -> None:
        payload = MessagePayload.from_dict({"event": "XAC_THUC_SDT",
                                            "template": {"template_id": "400010", "data": {"otp": "123456"}}})
        assert (payload.template, payload.template_id) == ({"otp": "123456"}, "400010")

    def test_template_id_among_the_parameters_wins_over_the_top_level_one(self) -> None:
        payload = MessagePayload.from_dict({"template": {"template_id": "1", "ten": "A"}, "template_id": "2"})
        assert (payload.template, payload.template_id) == ({"ten": "A"}, "1")


class TestMalformed:
    @pytest.mark.parametrize(("raw", "names"), [
        (["text"], "object"),
        ({"txt": "typo"}, "txt"),
        ({"attachments": [{"document_id": "1"}]}, "attachments"),
        ({"text": 5}, "'text'"),
        ({"attachment": {"filename": "a.pdf"}}, "document_id"),
        ({"attachment": "a.pdf"}, "'attachment'"),
        ({"template": ["ten"]}, "'template'"),
        ({"template": {"ten": None}}, "'ten'"),
        ({"request_user_info": "title"}, "'request_user_info'"),
    ])
    def test_is_refused_with_the_key_named(self, raw: Any, names: str) -> None:
        with pytest.raises(InvalidPayload, match=names):
            MessagePayload.from_dict(raw)

    def test_is_dead_lettered_by_the_sender_before_any_call(self) -> None:
        def unreachable(*_args: Any, **_kwargs: Any) -> Any:
            raise AssertionError("no call may be made for a malformed payload")

        sender = ZaloSender(client=unreachable, db_engine=unreachable, now=unreachable,  # type: ignore[arg-type]
                            load_attachment=unreachable)
        message = OutgoingMessage(id=1, idempotency_key="k", kind="dossier_event", subject_ref="HS-1",
                                  recipient_ref="dossier:HS-1", payload={"text": "x", "attachement": {}},
                                  attempts=0, parts_done=0)
        with pytest.raises(PermanentDelivery, match="attachement"):
            sender.send(message, Recipient(zalo_user_id="u1", phone_84="84912345678", display_name="A"))
