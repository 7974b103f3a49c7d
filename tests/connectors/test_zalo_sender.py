"""The channel choice of ZaloSender against the emulator over HTTP."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session
from zalo_world import ZaloWorld

from connectors.outbox import OutgoingMessage, Recipient, RetryableDelivery, UnreachableRecipient
from connectors.zalo.emulator import DEFAULT_TEMPLATE_ID
from connectors.zalo.sender import ZaloSender, split_text
from connectors.zalo.users import ZaloUser, record_user

DOCUMENTS = {"doc-1": ("phieu-bien-nhan.pdf", b"%PDF-1.7 phieu")}
TEMPLATE = {"ten": "Nguyễn Văn A", "ma_ho_so": "H60.22-261124-0001", "trang_thai": "Đã tiếp nhận",
            "cta_text": "Tra cứu", "cta_url": "https://example.gov.vn/tra-cuu/H60.22-261124-0001"}


def message(*, text: str = "Hồ sơ của Ông/Bà đã được tiếp nhận.", attachment: dict[str, Any] | None = None,
            template: dict[str, Any] | None = TEMPLATE, parts_done: int = 0) -> OutgoingMessage:
    payload = {"event": "tiep_nhan", "text": text, "attachment": attachment, "template": template}
    return OutgoingMessage(id=1, idempotency_key="H60.22-261124-0001:tiep_nhan:1", kind="dossier_event",
                           subject_ref="H60.22-261124-0001", recipient_ref="citizen:1", payload=payload,
                           attempts=0, parts_done=parts_done)


def make_sender(zalo: ZaloWorld, load=lambda doc_id: DOCUMENTS[doc_id], **kwargs: Any) -> ZaloSender:  # type: ignore[no-untyped-def]
    return ZaloSender(client=zalo.client, db_engine=zalo.db, now=zalo.clock.now, load_attachment=load,
                      default_template_id=DEFAULT_TEMPLATE_ID, **kwargs)


def remember_interaction(zalo: ZaloWorld, user_id: str) -> None:
    with Session(zalo.db) as session:
        now = zalo.clock.now()
        record_user(session, user_id=user_id, now=now, followed=True, interacted_at=now)
        session.commit()


class TestChannelChoice:
    def test_inside_the_window_a_cs_text_then_the_file(self, zalo: ZaloWorld) -> None:
        user = zalo.user()
        remember_interaction(zalo, user["user_id"])
        attachment = {"document_id": "doc-1", "filename": "bien-nhan.pdf"}
        result = make_sender(zalo).send(message(attachment=attachment), Recipient(
            zalo_user_id=user["user_id"], phone_84=user["phone"], display_name="A"))
        inbox = zalo.inbox(user_id=user["user_id"])
        assert result.channel_used == "cs" and result.provider_message_id == inbox[0]["message_id"]
        assert [(m["channel"], m["type"]) for m in inbox] == [("cs", "text"), ("cs", "file")]
        assert inbox[1]["file"]["filename"] == "bien-nhan.pdf"
        download = zalo.http.get(zalo.base + inbox[1]["file"]["download_path"], timeout=5)
        assert download.content == DOCUMENTS["doc-1"][1]

    def test_outside_the_window_a_template_by_uid(self, zalo: ZaloWorld) -> None:
        user = zalo.user()
        remember_interaction(zalo, user["user_id"])
        zalo.clock.advance(timedelta(days=8))
        result = make_sender(zalo).send(message(attachment={"document_id": "doc-1", "filename": "x.pdf"}),
                                        Recipient(zalo_user_id=user["user_id"], phone_84=user["phone"],
                                                  display_name="A"))
        inbox = zalo.inbox(user_id=user["user_id"])
        assert result.channel_used == "template_uid"
        assert [m["channel"] for m in inbox] == ["template_uid"]  # no file: templates carry none
        assert inbox[0]["template_data"]["cta_url"] == TEMPLATE["cta_url"]

    def test_not_linked_a_template_by_phone(self, zalo: ZaloWorld) -> None:
        user = zalo.user(follow=False)
        result = make_sender(zalo).send(message(), Recipient(zalo_user_id=None, phone_84=user["phone"],
                                                             display_name="A"))
        assert result.channel_used == "template_phone"
        assert [m["channel"] for m in zalo.inbox(phone=user["phone"])] == ["template_phone"]

    def test_no_link_and_no_phone_is_unreachable(self, zalo: ZaloWorld) -> None:
        with pytest.raises(UnreachableRecipient) as caught:
            make_sender(zalo).send(message(), Recipient(zalo_user_id=None, phone_84=None, display_name="A"))
        assert caught.value.reason == "no_contact"

    def test_linked_but_never_interacted_and_phone_not_on_zalo(self, zalo: ZaloWorld) -> None:
        user = zalo.user(follow=False)
        with pytest.raises(UnreachableRecipient) as caught:
            make_sender(zalo).send(message(), Recipient(zalo_user_id=user["user_id"], phone_84="84900000009",
                                                        display_name="A"))
        assert caught.value.reason == "phone_not_on_zalo"
        assert "template_uid: outside_window" in str(caught.value)

    def test_outside_the_window_without_a_template_is_unreachable(self, zalo: ZaloWorld) -> None:
        user = zalo.user()
        zalo.clock.advance(timedelta(days=8))
        sender = ZaloSender(client=zalo.client, db_engine=zalo.db, now=zalo.clock.now,
                            load_attachment=lambda d: DOCUMENTS[d])
        with pytest.raises(UnreachableRecipient):
            sender.send(message(template={"ten": "A"}), Recipient(zalo_user_id=user["user_id"], phone_84=None,
                                                                  display_name="A"))
        assert zalo.inbox(user_id=user["user_id"]) == []

    def test_unknown_locally_asks_zalo_for_the_last_interaction(self, zalo: ZaloWorld) -> None:
        user = zalo.user()  # followed: Zalo knows; our zalo_user table does not
        zalo.clock.advance(timedelta(days=2, minutes=1))
        result = make_sender(zalo).send(message(), Recipient(zalo_user_id=user["user_id"], phone_84=None,
                                                             display_name="A"))
        assert result.channel_used == "cs"
        assert zalo.inbox(user_id=user["user_id"])[0]["billed"] is True  # 48 h – 7 d: billed CS
        with Session(zalo.db) as session:
            known = session.get(ZaloUser, user["user_id"])
            assert known is not None and known.last_interaction_at is not None

    def test_template_ids_by_event(self, zalo: ZaloWorld) -> None:
        user = zalo.user(follow=False)
        sender = make_sender(zalo, template_ids={"tiep_nhan": "400003"})
        sender.send(message(), Recipient(zalo_user_id=None, phone_84=user["phone"], display_name="A"))
        assert zalo.inbox(phone=user["phone"])[0]["template_id"] == "400003"


class TestParts:
    def test_a_retry_resumes_after_the_parts_already_delivered(self, zalo: ZaloWorld) -> None:
        user = zalo.user()
        calls = {"n": 0}

        def flaky_load(document_id: str) -> tuple[str, bytes]:
            calls["n"] += 1
            if calls["n"] == 1:
                raise RetryableDelivery("document store busy")
            return DOCUMENTS[document_id]

        sender = make_sender(zalo, load=flaky_load)
        recipient = Recipient(zalo_user_id=user["user_id"], phone_84=None, display_name="A")
        first = message(attachment={"document_id": "doc-1", "filename": "a.pdf"})
        with pytest.raises(RetryableDelivery) as caught:
            sender.send(first, recipient)
        assert caught.value.parts_done == 1
        retry = message(attachment={"document_id": "doc-1", "filename": "a.pdf"}, parts_done=1)
        sender.send(retry, recipient)
        assert [m["type"] for m in zalo.inbox(user_id=user["user_id"])] == ["text", "file"]

    def test_long_text_is_split_under_the_limit(self, zalo: ZaloWorld) -> None:
        user = zalo.user()
        text = " ".join(f"Dòng {n} của thông báo dài." for n in range(200))
        assert len(text) > 4000
        make_sender(zalo).send(message(text=text), Recipient(zalo_user_id=user["user_id"], phone_84=None,
                                                             display_name="A"))
        received = [m["text"] for m in zalo.inbox(user_id=user["user_id"])]
        assert len(received) == len(split_text(text)) == 3
        assert all(len(part) <= 2000 for part in received) and " ".join(received) == text


class TestUncertainRetries:
    """A retry after an attempt whose outcome is unknown (a worker killed mid-send, a timeout after Zalo
    processed the call) asks Zalo's conversation what arrived, and sends only the rest."""

    def test_a_text_that_already_arrived_is_not_sent_again(self, zalo: ZaloWorld) -> None:
        user = zalo.user()
        remember_interaction(zalo, user["user_id"])
        recipient = Recipient(zalo_user_id=user["user_id"], phone_84=user["phone"], display_name="A")
        attachment = {"document_id": "doc-1", "filename": "bien-nhan.pdf"}
        first = message(attachment=attachment)
        zalo.client.send_text(user["user_id"], str(first.payload["text"]))  # the dead worker's send
        retry = OutgoingMessage(**{**first.__dict__, "uncertain": True, "created_at": zalo.clock.now()})
        result = make_sender(zalo).send(retry, recipient)
        inbox = zalo.inbox(user_id=user["user_id"])
        assert [m["type"] for m in inbox] == ["text", "file"], "the text once, then only the file"
        assert result.provider_message_id == inbox[0]["message_id"]

    def test_a_certain_message_is_sent_even_when_the_same_text_was_sent_before(self, zalo: ZaloWorld) -> None:
        user = zalo.user()
        remember_interaction(zalo, user["user_id"])
        recipient = Recipient(zalo_user_id=user["user_id"], phone_84=user["phone"], display_name="A")
        zalo.client.send_text(user["user_id"], "Hồ sơ của Ông/Bà đã được tiếp nhận.")
        make_sender(zalo).send(message(), recipient)  # not uncertain: a new message, sent
        assert len(zalo.inbox(user_id=user["user_id"])) == 2

    def test_an_uncertain_attempt_that_never_arrived_is_sent(self, zalo: ZaloWorld) -> None:
        user = zalo.user()
        remember_interaction(zalo, user["user_id"])
        recipient = Recipient(zalo_user_id=user["user_id"], phone_84=user["phone"], display_name="A")
        retry = OutgoingMessage(**{**message().__dict__, "uncertain": True, "created_at": zalo.clock.now()})
        make_sender(zalo).send(retry, recipient)
        assert [m["type"] for m in zalo.inbox(user_id=user["user_id"])] == ["text"]
