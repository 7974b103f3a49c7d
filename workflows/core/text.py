"""Text keys for searching Vietnamese names."""

from __future__ import annotations

import unicodedata


def search_key(name: str) -> str:
    """Lower-case, unaccented, single-spaced: 'Nguyễn  Văn Đức' → 'nguyen van duc'."""
    decomposed = unicodedata.normalize("NFD", name.replace("Đ", "D").replace("đ", "d"))
    plain = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(plain.lower().split())
