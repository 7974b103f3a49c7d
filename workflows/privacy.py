"""Personal-data primitives (Luật 91/2025/QH15, NĐ 356/2025): field encryption, keyed lookup hashes,
normalisation of Vietnamese phone and ID numbers, masking for responses and logs.

Masking rules (API.md, DOMAIN.md §6):
- phone: first 4 and last 3 digits kept — `0912***678`;
- CCCD (12 digits): first 4 (province + sex/century + year code) and last 4 — `0010****1234`;
  old CMND (9 digits): first 2 and last 3 — `01****234`;
- name: the family name (first word) kept, every other word reduced to its initial followed by one `*`
  per remaining letter — `Nguyễn Văn An` → `Nguyễn V** A*`.
Malformed values are masked whole but for their last 2 characters; masking never raises.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from workflows.core.config import CryptoSettings
from workflows.core.errors import ValidationFailed


class InvalidPersonalData(ValidationFailed, ValueError):
    """A phone or ID number that is not valid; a ValueError too, so pydantic validators may raise it.
    Its one error names the value generically ("phone", "id_number"): a caller that knows which field of
    its request held the value re-targets it with `on(field, label)`."""

    def __init__(self, detail: str, *, field: str, problem: str, label: str) -> None:
        self.problem = problem
        super().__init__(detail, errors=[{"field": field, "message": f"{label}: {problem}."}])

    def on(self, field: str, label: str) -> InvalidPersonalData:
        """The same refusal reported on `field`, named `label` (e.g. "applicant.id_number")."""
        return InvalidPersonalData(self.detail, field=field, problem=self.problem, label=label)


_MOBILE = re.compile(r"0[35789]\d{8}")
_LANDLINE = re.compile(r"02\d{9}")
_SEPARATORS = re.compile(r"[\s.\-()]")


def normalize_phone(value: str) -> str:
    """`+84 912 345 678`, `84912345678`, `0912.345.678` → `0912345678`. Mobile numbers (03/05/07/08/09,
    10 digits) and landlines (02x, 11 digits) are accepted; anything else raises InvalidPersonalData."""
    digits = _SEPARATORS.sub("", value)
    digits = digits[1:] if digits.startswith("+") else digits
    digits = digits[2:] if digits.startswith("00") else digits
    if digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    if _MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits):
        return digits
    raise InvalidPersonalData(
        "Số điện thoại không hợp lệ.", field="phone", label="Số điện thoại",
        problem="không phải số điện thoại Việt Nam hợp lệ (di động 10 chữ số, cố định 11 chữ số)",
    )


def to_zalo_phone(value: str) -> str:
    """The international form Zalo expects (`84912345678`); only mobile numbers have Zalo accounts."""
    phone = normalize_phone(value)
    if not _MOBILE.fullmatch(phone):
        raise InvalidPersonalData(
            "Số điện thoại không phải số di động.", field="phone", label="Số điện thoại",
            problem="phải là số di động (Zalo chỉ gắn với số di động)",
        )
    return "84" + phone[1:]


def normalize_id_number(value: str) -> str:
    """A CCCD/personal ID number (12 digits) or an old CMND number (9 digits), separators removed."""
    digits = _SEPARATORS.sub("", value)
    if digits.isdigit() and len(digits) in (9, 12):
        return digits
    raise InvalidPersonalData(
        "Số định danh cá nhân/CCCD phải gồm 12 chữ số (hoặc 9 chữ số với CMND cũ).", field="id_number",
        label="Số định danh cá nhân/CCCD", problem="phải gồm 12 chữ số (hoặc 9 chữ số với CMND cũ)",
    )


def _mask_whole(value: str) -> str:
    return "*" * max(len(value) - 2, 0) + value[-2:] if len(value) > 4 else "*" * len(value)


def mask_phone(value: str) -> str:
    try:
        phone = normalize_phone(value)
    except InvalidPersonalData:
        return _mask_whole(value)
    return phone[:4] + "*" * (len(phone) - 7) + phone[-3:]


def mask_id_number(value: str) -> str:
    try:
        number = normalize_id_number(value)
    except InvalidPersonalData:
        return _mask_whole(value)
    return number[:4] + "****" + number[-4:] if len(number) == 12 else number[:2] + "****" + number[-3:]


def mask_name(value: str) -> str:
    words = unicodedata.normalize("NFC", value).split()
    if not words:
        return ""
    if len(words) == 1:
        return words[0][0] + "*" * (len(words[0]) - 1)
    return " ".join([words[0], *(word[0] + "*" * (len(word) - 1) for word in words[1:])])


_NORMALIZERS: dict[str, Callable[[str], str]] = {
    "phone": normalize_phone,
    "id_number": normalize_id_number,
    "email": lambda value: value.strip().lower(),
}


def _fernet_key(material: str) -> bytes:
    try:
        if len(base64.urlsafe_b64decode(material.encode("ascii"))) == 32:
            return material.encode("ascii")
    except (binascii.Error, UnicodeEncodeError, ValueError):
        pass
    if len(material) < 32:
        raise ValueError("a data key must be a Fernet key or a secret of at least 32 characters")
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"motcua personal data").derive(
        material.encode()
    )
    return base64.urlsafe_b64encode(derived)


class PersonalDataCipher:
    """Encrypts personal fields (Fernet: AES-128-CBC + HMAC-SHA256, random IV) and computes keyed lookup
    hashes. `data_key` may list several comma-separated keys: the first encrypts, all decrypt (key
    rotation). Each is a Fernet key (urlsafe base64 of 32 bytes) or any secret of at least 32 characters,
    from which a Fernet key is derived with HKDF-SHA256."""

    def __init__(self, data_key: str, hmac_key: str) -> None:
        keys = [key.strip() for key in data_key.split(",") if key.strip()]
        if not keys or not hmac_key:
            raise ValueError("PersonalDataCipher needs a data key and an HMAC key")
        self._fernet = MultiFernet([Fernet(_fernet_key(key)) for key in keys])
        self._hmac_key = hmac_key.encode()

    @classmethod
    def from_settings(cls, settings: CryptoSettings) -> PersonalDataCipher:
        return cls(settings.data_key.get_secret_value(), settings.hmac_key.get_secret_value())

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode("ascii")).decode()
        except (InvalidToken, UnicodeEncodeError):
            raise ValueError("ciphertext cannot be decrypted with the configured data keys") from None

    def encrypt_bytes(self, plaintext: bytes) -> bytes:
        """A Fernet token (urlsafe base64, about 4/3 of the size) under the current key."""
        return self._fernet.encrypt(plaintext)

    def decrypt_bytes(self, token: bytes) -> bytes:
        """ValueError when no configured key opens the token or it was altered."""
        try:
            return self._fernet.decrypt(token)
        except InvalidToken:
            raise ValueError("data cannot be decrypted with the configured data keys") from None

    def rotate(self, ciphertext: str) -> str:
        """Re-encrypt under the first (current) key."""
        return self._fernet.rotate(ciphertext.encode("ascii")).decode("ascii")

    def lookup_hash(self, kind: str, value: str) -> str:
        """HMAC-SHA256 (hex) of `kind` and the normalised value: equal numbers written differently hash
        alike, and the hash is useless without the key. Raises InvalidPersonalData for invalid values."""
        if kind not in _NORMALIZERS:
            raise ValueError(f"unknown personal-data kind {kind!r}")
        message = f"{kind}:{_NORMALIZERS[kind](value)}".encode()
        return hmac.new(self._hmac_key, message, hashlib.sha256).hexdigest()


# A phone (0/84/+84 prefix, optional single separators) or a lone 9/12-digit run (CMND/CCCD), not glued
# to letters or other digits, so dossier codes, Zalo user ids (18-19 digits) and timestamps stay readable.
_PHONE_IN_TEXT = re.compile(r"(?<![\w+])(?:\+84|84|0)(?:[ .\-]?\d){8,10}(?![\w])")
_ID_IN_TEXT = re.compile(r"(?<![\w])(?:\d{12}|\d{9})(?![\w])")


def mask_text(text: str) -> str:
    """Every phone-like and ID-like number in free text, masked."""
    text = _PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group()) if _is_phone(m.group()) else m.group(), text)
    return _ID_IN_TEXT.sub(lambda m: mask_id_number(m.group()), text)


def _is_phone(candidate: str) -> bool:
    try:
        normalize_phone(candidate)
    except InvalidPersonalData:
        return False
    return True


class PersonalDataLogFilter(logging.Filter):
    """Masks phone and ID numbers in a record's message (arguments merged in), exception and stack text."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: mask what we can, let logging report the error
            record.msg = mask_text(str(record.msg))
            if isinstance(record.args, tuple):
                record.args = tuple(mask_text(a) if isinstance(a, str) else a for a in record.args)
            return True
        # Keep the arguments' shape (formatters such as uvicorn's access log unpack them): mask each one, and
        # merge into the message only when a number still shows across message and arguments.
        if isinstance(record.msg, str):
            record.msg = mask_text(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_mask_arg(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _mask_arg(v) for k, v in record.args.items()}
        try:
            masked = record.getMessage()
        except Exception:  # a number argument became text under a %d: fall back to the merged message
            masked = ""
        if not masked or mask_text(masked) != masked:
            record.msg, record.args = mask_text(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        return True


def _mask_arg(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, int | float) or value is None:
        text = str(value)
        return value if mask_text(text) == text else mask_text(text)
    return value


def install_log_masking() -> PersonalDataLogFilter:
    """Mask every log record of the process, once (idempotent). Applied in the record factory rather than on
    a logger or handler: logger filters miss records propagated from child loggers, and handlers are added
    later (uvicorn configures its own after the app is built)."""
    current: Any = logging.getLogRecordFactory()
    installed = getattr(current, "motcua_filter", None)
    if isinstance(installed, PersonalDataLogFilter):
        return installed
    log_filter = PersonalDataLogFilter()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = current(*args, **kwargs)
        log_filter.filter(record)
        return record

    factory.motcua_filter = log_filter  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
    return log_filter
