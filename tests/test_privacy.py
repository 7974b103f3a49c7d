"""Personal-data primitives: encryption, keyed lookup hashes, normalisation, masking, log masking."""

from __future__ import annotations

import logging
import re
import sys

import pytest
from cryptography.fernet import Fernet

from workflows.core.config import CryptoSettings
from workflows.privacy import (
    InvalidPersonalData,
    PersonalDataCipher,
    PersonalDataLogFilter,
    install_log_masking,
    mask_id_number,
    mask_name,
    mask_phone,
    mask_text,
    normalize_id_number,
    normalize_phone,
    to_zalo_phone,
)

PHONE = "0912345678"
CCCD = "001012341234"


@pytest.fixture
def cipher() -> PersonalDataCipher:
    return PersonalDataCipher.from_settings(CryptoSettings())


class TestCipher:
    def test_round_trip_hides_the_digits(self, cipher: PersonalDataCipher) -> None:
        for value in (PHONE, CCCD, "Nguyễn Văn An"):
            token = cipher.encrypt(value)
            assert token != value and cipher.decrypt(token) == value
        token = cipher.encrypt(CCCD)
        runs = {CCCD[i : i + 4] for i in range(len(CCCD) - 3)}
        assert not any(run in token for run in runs if run != "0000")
        assert cipher.encrypt(CCCD) != token  # random IV: equal values do not look equal

    def test_another_key_cannot_decrypt(self, cipher: PersonalDataCipher) -> None:
        other = PersonalDataCipher(Fernet.generate_key().decode(), "another-hmac-key")
        with pytest.raises(ValueError):
            other.decrypt(cipher.encrypt(PHONE))

    def test_key_rotation(self) -> None:
        old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
        token = PersonalDataCipher(old, "k").encrypt(PHONE)
        rotated_cipher = PersonalDataCipher(f"{new},{old}", "k")
        assert rotated_cipher.decrypt(token) == PHONE
        rotated = rotated_cipher.rotate(token)
        assert PersonalDataCipher(new, "k").decrypt(rotated) == PHONE

    def test_weak_data_key_is_refused(self) -> None:
        with pytest.raises(ValueError):
            PersonalDataCipher("short", "k")

    def test_lookup_hash_is_stable_normalised_and_keyed(self, cipher: PersonalDataCipher) -> None:
        digest = cipher.lookup_hash("phone", PHONE)
        assert re.fullmatch(r"[0-9a-f]{64}", digest)
        assert cipher.lookup_hash("phone", "+84 912 345 678") == digest
        same_keys = PersonalDataCipher.from_settings(CryptoSettings())
        assert same_keys.lookup_hash("phone", "0912.345.678") == digest
        assert cipher.lookup_hash("phone", "0912345679") != digest
        other = PersonalDataCipher(CryptoSettings().data_key.get_secret_value(), "another-hmac-key")
        assert other.lookup_hash("phone", PHONE) != digest
        assert cipher.lookup_hash("id_number", "001 012 341 234") == cipher.lookup_hash("id_number", CCCD)
        with pytest.raises(InvalidPersonalData):
            cipher.lookup_hash("phone", "12345")
        with pytest.raises(ValueError):
            cipher.lookup_hash("passport", "B1234567")


class TestNormalise:
    @pytest.mark.parametrize("raw", ["0912345678", "0912 345 678", "+84912345678", "84 912-345-678",
                                     "(+84) 912.345.678", "0084912345678"])
    def test_phone_forms(self, raw: str) -> None:
        assert normalize_phone(raw) == PHONE
        assert to_zalo_phone(raw) == "84912345678"

    def test_landline_has_no_zalo(self) -> None:
        assert normalize_phone("0207 3822 123") == "02073822123"
        with pytest.raises(InvalidPersonalData):
            to_zalo_phone("02073822123")

    @pytest.mark.parametrize(
        "raw", ["", "091234567", "09123456789", "0112345678", "abc0912345678", "+1 912345678"]
    )
    def test_invalid_phones(self, raw: str) -> None:
        with pytest.raises(InvalidPersonalData) as info:
            normalize_phone(raw)
        assert isinstance(info.value, ValueError) and info.value.status_code == 422

    def test_id_numbers(self) -> None:
        assert normalize_id_number("001 012 341 234") == CCCD
        assert normalize_id_number("012345678") == "012345678"
        for bad in ("0010123412", "00101234123A", "1234567890123"):
            with pytest.raises(InvalidPersonalData):
                normalize_id_number(bad)


class TestMasks:
    def test_documented_examples(self) -> None:
        assert mask_phone(PHONE) == "0912***678"
        assert mask_phone("+84 912 345 678") == "0912***678"
        assert mask_id_number(CCCD) == "0010****1234"
        assert mask_id_number("012345678") == "01****678"
        assert mask_name("Nguyễn Văn An") == "Nguyễn V** A*"
        assert mask_name("Hoàng") == "H****"
        assert mask_name("  ") == ""

    def test_malformed_values_are_masked_not_raised(self) -> None:
        assert mask_phone("12345678") == "******78"
        assert mask_id_number("123") == "***"

    def test_free_text(self) -> None:
        text = (f"Công dân {PHONE}, +84 987 654 321, CCCD {CCCD}, CMND 012345678; hồ sơ H60.22-261124-0001, "
                "zalo 1234567890123456789, lúc 1764000000")
        assert mask_text(text) == (
            "Công dân 0912***678, 0987***321, CCCD 0010****1234, CMND 01****678; hồ sơ H60.22-261124-0001, "
            "zalo 1234567890123456789, lúc 1764000000"
        )


class TestLogFilter:
    def _record(self, msg: str, *args: object) -> logging.LogRecord:
        return logging.LogRecord("motcua.test", logging.INFO, __file__, 1, msg, args, None)

    def test_masks_message_and_args(self) -> None:
        msg = f"citizen {PHONE} asked about %s with id %s and %d files"
        record = self._record(msg, "0987654321", CCCD, 3)
        assert PersonalDataLogFilter().filter(record) is True
        message = record.getMessage()
        assert message == "citizen 0912***678 asked about 0987***321 with id 0010****1234 and 3 files"

    def test_masks_exception_text(self) -> None:
        try:
            raise ValueError(f"bad phone {PHONE}")
        except ValueError:
            exc_info = sys.exc_info()
        record = logging.LogRecord("motcua.test", logging.ERROR, __file__, 1, "failed", (), exc_info)
        PersonalDataLogFilter().filter(record)
        assert record.exc_text and "0912***678" in record.exc_text and PHONE not in record.exc_text

    def test_installed_masking_reaches_every_logger(self, caplog: pytest.LogCaptureFixture) -> None:
        previous = logging.getLogRecordFactory()
        # A logger that does not propagate to the root, like uvicorn's: a root-level filter would miss it.
        isolated = logging.getLogger("motcua.test.isolated")
        isolated.propagate, isolated.level = False, logging.INFO
        isolated.addHandler(caplog.handler)
        try:
            install_log_masking()
            assert install_log_masking() is install_log_masking()  # idempotent
            with caplog.at_level(logging.INFO):
                logging.getLogger("motcua.some.child").info("sending to %s", PHONE)
                isolated.info(f"GET /lookup?phone={PHONE}")
            assert [r.getMessage() for r in caplog.records] == [
                "sending to 0912***678", "GET /lookup?phone=0912***678",
            ]
            assert PHONE not in caplog.text
        finally:
            isolated.removeHandler(caplog.handler)
            logging.setLogRecordFactory(previous)
