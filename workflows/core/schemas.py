"""Base shapes shared by every domain's schemas: the strict request body and the page of a list."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


class StrictIn(BaseModel):
    """A request body: unknown fields refused, strings stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Page(BaseModel, Generic[T]):
    """One page of a list: its items, how many there are in all, which page of which size."""

    items: list[T]
    total: int
    page: int
    page_size: int

    @classmethod
    def whole(cls, items: list[T]) -> Page[T]:
        """Every item on one page (lists that are short by nature: a dossier's history, its documents)."""
        return cls(items=items, total=len(items), page=1, page_size=max(len(items), 1))
