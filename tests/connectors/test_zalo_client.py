"""ZaloClient against the emulator over HTTP: wire protocol, error classes, token refresh and rotation."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from zalo_consent import approve
from zalo_world import APP_ID, APP_SECRET, ZaloWorld

from connectors.zalo.client import make_pkce_pair
from connectors.zalo.emulator import INVALID_GRANT
from connectors.zalo.errors import (
    ZaloBadRequest,
    ZaloNotConnected,
    ZaloRetryable,
    ZaloTokenError,
    ZaloUnreachable,
)
from connectors.zalo.tokens import ENCRYPTED, DbTokenStore
from workflows.core.config import CryptoSettings
from workflows.privacy import PersonalDataCipher


class TestMessages:
    def test_text_file_and_request_user_info_reach_the_inbox(self, zalo: ZaloWorld) -> None:
        user = zalo.user()
        text_id = zalo.client.send_text(user["user_id"], "Hồ sơ H60.22-261124-0001 đã được tiếp nhận.")
        token = zalo.client.upload_file("phieu-bien-nhan.pdf", b"%PDF-1.7 receipt")
        file_id = zalo.client.send_file(user["user_id"], token)
        zalo.client.send_request_user_info(user["user_id"], "Trung tâm PVHCC", "Xin chia sẻ số điện thoại")

        inbox = zalo.inbox(user_id=user["user_id"])
        assert [m["type"] for m in inbox] == ["text", "file", "request_user_info"]
        assert inbox[0]["message_id"] == text_id and inbox[0]["text"].startswith("Hồ sơ H60.22")
        assert inbox[0]["billed"] is False  # within 48 h of the follow: free
        assert inbox[1]["message_id"] == file_id and inbox[1]["file"]["filename"] == "phieu-bien-nhan.pdf"
        download = zalo.http.get(zalo.base + inbox[1]["file"]["download_path"], timeout=5)
        assert download.content == b"%PDF-1.7 receipt"

    def test_templates_by_uid_and_by_phone(self, zalo: ZaloWorld) -> None:
        user = zalo.user(phone="84912345678")
        data = {"ten": "Nguyễn Văn A", "ma_ho_so": "H60.22-261124-0001", "trang_thai": "Đã tiếp nhận",
                "cta_text": "Tra cứu", "cta_url": "https://example.gov.vn/tra-cuu/1"}
        uid_id = zalo.client.send_template_by_uid(user["user_id"], "400001", data, "t-1")
        phone_id = zalo.client.send_template_by_phone("84912345678", "400001", data, "t-2")
        inbox = zalo.inbox(phone="84912345678")
        assert [(m["channel"], m["message_id"]) for m in inbox] == [("template_uid", uid_id),
                                                                    ("template_phone", phone_id)]
        assert "H60.22-261124-0001" in inbox[0]["text"]

    def test_user_detail_and_last_interaction(self, zalo: ZaloWorld) -> None:
        user = zalo.user()
        followed_at = zalo.clock.now()
        zalo.clock.advance(timedelta(hours=3))
        zalo.http.post(zalo.url(f"/users/{user['user_id']}/submit-info"), json={"name": "Trần Thị B"},
                       timeout=5)
        detail = zalo.client.user_detail(user["user_id"])
        assert detail["user_is_follower"] is True
        assert detail["shared_info"]["phone"] == user["phone"]
        assert detail["shared_info"]["name"] == "Trần Thị B"
        assert zalo.client.last_interaction(user["user_id"]) == followed_at + timedelta(hours=3)


class TestErrors:
    def test_outside_the_window_is_unreachable(self, zalo: ZaloWorld) -> None:
        user = zalo.user()
        zalo.clock.advance(timedelta(days=7, minutes=1))
        with pytest.raises(ZaloUnreachable) as caught:
            zalo.client.send_text(user["user_id"], "Xin chào")
        assert caught.value.code == -230 and caught.value.reason == "outside_window"

    def test_never_interacted_and_phone_not_on_zalo_are_unreachable(self, zalo: ZaloWorld) -> None:
        user = zalo.user(follow=False)
        with pytest.raises(ZaloUnreachable) as never:
            zalo.client.send_text(user["user_id"], "Xin chào")
        assert never.value.code == -232
        data = {"ten": "A", "ma_ho_so": "X-1", "trang_thai": "Đã tiếp nhận"}
        with pytest.raises(ZaloUnreachable) as no_account:
            zalo.client.send_template_by_phone("84900000001", "400001", data, "t")
        assert no_account.value.reason == "phone_not_on_zalo"

    def test_bad_requests_are_permanent(self, zalo: ZaloWorld) -> None:
        user = zalo.user()
        with pytest.raises(ZaloBadRequest) as too_long:
            zalo.client.send_text(user["user_id"], "a" * 2001)
        assert too_long.value.code == -201
        with pytest.raises(ZaloBadRequest) as missing:
            zalo.client.send_template_by_uid(user["user_id"], "400001", {"ten": "A"}, "t")
        assert missing.value.code == -1122
        assert zalo.inbox(user_id=user["user_id"]) == []

    @pytest.mark.parametrize(("kind", "check"), [
        ("rate_limit", lambda e: e.code == -32 and e.rate_limited),
        ("http_500", lambda e: e.http_status == 500 and not e.outcome_unknown),
        ("timeout", lambda e: e.outcome_unknown),
    ])
    def test_transient_failures_are_retryable(self, zalo: ZaloWorld, kind: str, check) -> None:  # type: ignore[no-untyped-def]
        user = zalo.user()
        client = zalo.new_client(timeout=0.3)
        zalo.faults(1.0, [kind], stall_seconds=0.6)
        started = time.monotonic()
        with pytest.raises(ZaloRetryable) as caught:
            client.send_text(user["user_id"], "Xin chào")
        assert check(caught.value)
        assert time.monotonic() - started < 0.3 + 0.5
        zalo.faults(0, [])
        assert zalo.inbox(user_id=user["user_id"]) == []


class TestTokens:
    def test_refused_token_refreshes_once_and_retries_once(self, zalo: ZaloWorld) -> None:
        user = zalo.user()
        before = zalo.tokens.current()
        assert before is not None
        zalo.state.revoke_access_token(before.access_token)

        zalo.client.send_text(user["user_id"], "Sau khi làm mới token")

        assert zalo.stats()["refreshes"] == 1
        assert len(zalo.inbox(user_id=user["user_id"])) == 1
        persisted = DbTokenStore(zalo.db).current()  # a fresh store reads the row: the rotation was committed
        assert persisted is not None and persisted.refresh_token != before.refresh_token
        assert persisted == zalo.tokens.current()
        # The consumed refresh token is refused from now on (single use).
        form = {"refresh_token": before.refresh_token, "app_id": APP_ID, "grant_type": "refresh_token"}
        reused = zalo.http.post(zalo.url("/oauth/v4/oa/access_token"), headers={"secret_key": APP_SECRET},
                                data=form, timeout=5)
        assert reused.json()["error"] == INVALID_GRANT and "access_token" not in reused.json()

    def test_a_token_refused_again_after_refresh_is_an_error_not_a_loop(self, zalo: ZaloWorld) -> None:
        user = zalo.user()
        zalo.faults(1.0, ["token_expired"])
        with pytest.raises(ZaloTokenError):
            zalo.client.send_text(user["user_id"], "Xin chào")
        assert zalo.stats()["refreshes"] == 1

    def test_expiry_by_time_triggers_a_proactive_refresh(self, zalo: ZaloWorld) -> None:
        user = zalo.user()
        before = zalo.tokens.current()
        zalo.clock.advance(timedelta(hours=21))  # 4 h left of 25: inside the refresh margin
        zalo.http.post(zalo.url(f"/users/{user['user_id']}/send-text"), json={"text": "hi"}, timeout=5)
        zalo.client.send_text(user["user_id"], "Xin chào")
        assert zalo.stats()["refreshes"] == 1
        assert zalo.tokens.current() != before

    def test_concurrent_callers_share_one_refresh(self, zalo: ZaloWorld) -> None:
        user = zalo.user()
        current = zalo.tokens.current()
        assert current is not None
        zalo.state.revoke_access_token(current.access_token)
        # A second "process": its own store, with the old pair cached.
        other = zalo.new_client(tokens=DbTokenStore(zalo.db))
        other_tokens = other._tokens  # noqa: SLF001 - seed its cache with the stale pair
        assert other_tokens.current() == current
        errors: list[BaseException] = []

        def send(client, n: int) -> None:  # type: ignore[no-untyped-def]
            try:
                client.send_text(user["user_id"], f"tin {n}")
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

        threads = [threading.Thread(target=send, args=(zalo.client if n % 2 else other, n)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert errors == []
        assert zalo.stats()["refreshes"] == 1
        assert len(zalo.inbox(user_id=user["user_id"])) == 8

    def test_a_refresh_lost_without_an_answer_backs_off_and_a_refused_one_stops(self, zalo: ZaloWorld) -> None:
        zalo.faults(1.0, ["http_500"])  # the token endpoint answers 500: no answer on the refresh token's fate
        with pytest.raises(ZaloNotConnected):
            zalo.client.refresh_tokens()
        state = zalo.tokens.connection_state()
        assert (state.state, state.refresh_failures) == ("granted", 1)
        assert state.next_refresh_at == zalo.clock.now() + timedelta(seconds=60)
        calls = zalo.stats()["calls"]
        with pytest.raises(ZaloNotConnected, match="next try"):
            zalo.client.refresh_tokens()  # within the backoff: Zalo is not asked
        assert zalo.stats()["calls"] == calls
        zalo.faults(0, [])
        zalo.clock.advance(timedelta(seconds=61))
        zalo.client.refresh_tokens()
        state = zalo.tokens.connection_state()
        assert (state.state, state.refresh_failures, state.last_refresh_at) == ("granted", 0, zalo.clock.now())

        with zalo.state.lock:  # the refresh token dies (consumed by a refresh whose answer was lost)
            zalo.state.refresh_tokens = {t: (e, True) for t, (e, _) in zalo.state.refresh_tokens.items()}
        with pytest.raises(ZaloNotConnected):
            zalo.client.refresh_tokens()
        state = zalo.tokens.connection_state()
        assert state.state == "refresh_failed" and "Invalid refresh token" in (state.last_error or "")
        assert not zalo.tokens.can_send(zalo.clock.now())
        calls = zalo.stats()["calls"]
        zalo.clock.advance(timedelta(days=1))
        for _ in range(5):
            with pytest.raises(ZaloNotConnected):
                zalo.client.refresh_tokens()
        assert zalo.stats()["calls"] == calls  # never again with the dead token

    def test_missing_grant_is_a_token_error(self, zalo: ZaloWorld, db) -> None:  # type: ignore[no-untyped-def]
        with db.begin() as connection:
            connection.exec_driver_sql("DELETE FROM zalo_token")
        client = zalo.new_client()
        with pytest.raises(ZaloTokenError):
            client.send_text("1", "x")

    def test_authorization_code_with_pkce(self, zalo: ZaloWorld) -> None:
        verifier, challenge = make_pkce_pair()
        url = zalo.client.authorization_url(redirect_uri="https://motcua.example/zalo/callback",
                                            code_challenge=challenge, state="xyz")
        redirect = approve(zalo.http, url)
        assert redirect.status_code == 302
        assert redirect.headers["location"].startswith("https://motcua.example/zalo/callback?")
        query = parse_qs(urlparse(redirect.headers["location"]).query)
        assert query["state"] == ["xyz"] and query["oa_id"]
        with pytest.raises(ZaloTokenError):
            zalo.client.exchange_code(query["code"][0], code_verifier="wrong-verifier-" + "x" * 30)
        second = parse_qs(urlparse(approve(zalo.http, url).headers["location"]).query)["code"][0]
        pair = zalo.client.exchange_code(second, code_verifier=verifier)
        assert DbTokenStore(zalo.db).current() == pair

    def test_the_permission_page_refuses_a_bad_challenge_and_a_denial_sends_nobody_back(
            self, zalo: ZaloWorld) -> None:
        url = zalo.client.authorization_url(redirect_uri="https://motcua.example/cb", code_challenge="short",
                                            state="s")
        refused = zalo.http.get(url, timeout=5)
        assert refused.status_code == 400 and "Invalid code challenge" in refused.text
        _, challenge = make_pkce_pair()
        url = zalo.client.authorization_url(redirect_uri="https://motcua.example/cb", code_challenge=challenge,
                                            state="s")
        denied = approve(zalo.http, url, decision="deny")
        assert denied.status_code == 200 and "location" not in denied.headers


class TestTokensAtRest:
    def test_tokens_are_stored_encrypted_and_a_clear_row_is_sealed_at_the_next_save(self, zalo: ZaloWorld) -> None:
        cipher = PersonalDataCipher.from_settings(CryptoSettings())
        clear = DbTokenStore(zalo.db)  # as stored before encryption
        pair = clear.current()
        assert pair is not None and raw_tokens(zalo) == (pair.access_token, pair.refresh_token)
        sealed = DbTokenStore(zalo.db, cipher=cipher)
        assert sealed.current() == pair  # the clear row is still read
        client = zalo.new_client(tokens=sealed)
        rotated = client.refresh_tokens()
        access, refresh = raw_tokens(zalo)
        assert access.startswith(ENCRYPTED) and refresh.startswith(ENCRYPTED)
        assert rotated.access_token not in access and rotated.refresh_token not in refresh
        assert DbTokenStore(zalo.db, cipher=cipher).current() == rotated  # a fresh store opens the row
        user = zalo.user()
        assert client.send_text(user["user_id"], "Mã thông báo đã được mã hóa.")
        with pytest.raises(LookupError, match="encrypted"):
            DbTokenStore(zalo.db).current()  # no key, no token


def raw_tokens(zalo: ZaloWorld) -> tuple[str, str]:
    with zalo.db.connect() as connection:
        row = connection.exec_driver_sql("SELECT access_token, refresh_token FROM zalo_token").one()
    return str(row[0]), str(row[1])
