"""What a signature reuses from the one before (workflows.signing): the room it gets in the PDF, pyHanko's
estimate made once per signer and timestamp authority, and the official's opened key file. Every reused one
still validates; a signature that outgrows a remembered room is signed again with a fresh estimate instead
of failing the step; a rotated key file or another passphrase is opened afresh."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from workflows.core.config import Settings
from workflows.documents.layout import FormPdf
from workflows.signing import keys, pades, signers
from workflows.signing.appearance import SignatureBox
from workflows.signing.keys import OfficialIdentity

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
LEADER = OfficialIdentity(username="lanh_dao", full_name="Phạm Quốc Hùng", title="Phó Giám đốc",
                          organization="Sở Văn hóa, Thể thao và Du lịch tỉnh Tuyên Quang")
BOX = SignatureBox(page=0, x=110, y=200, width=70, height=25, page_height=297)


def _settings(tmp_path: Path, passphrase: str | None = None) -> Settings:
    signing: dict[str, object] = {"directory": tmp_path / "keys"}
    if passphrase is not None:
        signing["passphrase"] = passphrase
    return Settings(env="test", signing=signing)  # type: ignore[arg-type]


@pytest.fixture
def signer(tmp_path: Path) -> signers.LocalSigner:
    return signers.LocalSigner(_settings(tmp_path))


@pytest.fixture(autouse=True)
def no_remembered_room() -> None:
    pades._ROOM.clear()  # noqa: SLF001 - each test starts from pyHanko's own estimate


def _sign(signer: signers.LocalSigner, text: str) -> bytes:
    pdf = FormPdf()
    pdf.multi_cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
    return signer.sign(bytes(pdf.output()), official=LEADER, box=BOX, field_name="lanh_dao",
                       reason="Ký duyệt kết quả", location="Tuyên Quang", now=NOW).content


def _verified(content: bytes, tmp_path: Path, official: OfficialIdentity = LEADER) -> pades.SignatureReport:
    [report] = pades.validate(content, trust_roots=signers.trust_roots(_settings(tmp_path)))
    assert (report.intact, report.valid, report.trusted, report.timestamped) == (True, True, True, True)
    assert (report.signer_name, report.signer_title) == (official.full_name, official.title)
    return report


def test_the_second_signature_reuses_the_first_ones_room_and_validates(
    signer: signers.LocalSigner, tmp_path: Path,
) -> None:
    first = _sign(signer, "Giấy phép kinh doanh dịch vụ karaoke số 01")
    [room] = pades._ROOM.values()  # noqa: SLF001
    second = _sign(signer, "Giấy phép kinh doanh dịch vụ karaoke số 02, Nguyễn Thị Ánh Tuyết")
    assert list(pades._ROOM.values()) == [room]  # noqa: SLF001
    for content in (first, second):
        _verified(content, tmp_path)
        assert pades._reserved_room(content) == room  # noqa: SLF001


def test_a_signature_larger_than_the_remembered_room_is_signed_again(
    signer: signers.LocalSigner, tmp_path: Path,
) -> None:
    _sign(signer, "Giấy phép số 01")
    [key] = pades._ROOM  # noqa: SLF001
    room = pades._ROOM[key]  # noqa: SLF001
    pades._ROOM[key] = 64  # noqa: SLF001 - as if the chain or the authority's answers had grown since
    content = _sign(signer, "Giấy phép số 02")
    _verified(content, tmp_path)
    fresh = pades._reserved_room(content)  # noqa: SLF001
    assert pades._ROOM[key] == fresh  # noqa: SLF001
    assert abs(fresh - room) < room // 10  # pyHanko's estimate again (an ECDSA value varies by a few bytes)


def test_a_rotated_key_file_signs_with_its_new_certificate(signer: signers.LocalSigner, tmp_path: Path) -> None:
    before = _verified(_sign(signer, "Giấy phép số 01"), tmp_path)
    promoted = OfficialIdentity(username=LEADER.username, full_name=LEADER.full_name, title="Giám đốc",
                                organization=LEADER.organization)
    keys.issue_official(tmp_path / "keys", passphrase=_settings(tmp_path).signing.passphrase.get_secret_value(),
                        official=promoted, now=NOW)  # the same official's file, replaced
    after = _verified(_sign(signer, "Giấy phép số 02"), tmp_path, promoted)
    assert after.certificate_sha256 != before.certificate_sha256


def test_another_passphrase_does_not_open_a_key_file_opened_before(
    signer: signers.LocalSigner, tmp_path: Path,
) -> None:
    _verified(_sign(signer, "Giấy phép số 01"), tmp_path)
    wrong = signers.LocalSigner(_settings(tmp_path, passphrase="không phải mật khẩu này"))
    with pytest.raises(signers.SigningFailed) as refused:
        _sign(wrong, "Giấy phép số 02")
    assert refused.value.error_code == "signing_key_unreadable"
    assert "Không mở được tệp khóa ký số của Phạm Quốc Hùng" in str(refused.value)


def test_a_remote_signature_gets_a_fresh_estimate_every_time(tmp_path: Path) -> None:
    """Signed again for want of room, a remote signature would ask the official's phone twice: its room is
    never remembered, while a local signer's with the same certificate is."""
    _sign(signers.LocalSigner(_settings(tmp_path)), "Giấy phép số 01")
    paths = keys.KeyPaths(tmp_path / "keys")
    local = signers._official_signer(paths.official(LEADER.username), paths.ca_cert,  # noqa: SLF001
                                     _settings(tmp_path).signing.passphrase.get_secret_value())
    assert local is not None and pades._room_key(local, None) is not None  # noqa: SLF001
    remote = signers._RemoteCmsSigner(  # noqa: SLF001
        client=None, user_id=LEADER.username, certificate=local.signing_cert,  # type: ignore[arg-type]
        chain=[], timeout=1, poll_interval=1, description="Ký duyệt")
    assert pades._room_key(remote, None) is None  # noqa: SLF001
