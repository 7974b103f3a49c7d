"""Tables of the Zalo channel: the proofs of phones shared in the OA chat, the conversation with the OA."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from workflows.core.columns import timestamp as _ts


class PhoneProof(SQLModel, table=True):
    """A phone shared by a Zalo account, until the account proves it holds the number by sending back the
    one-time code that Zalo delivered (template by phone) to the account that owns it. The phone is kept
    encrypted (to send the code) with its keyed hash; the code only as a keyed hash."""

    __tablename__ = "zalo_phone_proof"

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(max_length=64, index=True)
    phone_enc: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    phone_hash: str = Field(max_length=64)
    code_hash: str = Field(max_length=64)
    status: str = Field(max_length=16)  # pending | proven | failed | expired | replaced
    attempts: int = Field(default=0)
    created_at: datetime = _ts(nullable=False)
    expires_at: datetime = _ts(nullable=False)
    proven_at: datetime | None = _ts()


class ConversationEntry(SQLModel, table=True):
    """One message of a Zalo account's conversation with the OA, as the webhook received it: what the citizen
    sent (`user_send_*`) and what the OA sent (`oa_send_*` echoes, ZALO_API.md §8.5: our own sends and an
    official's answers typed in Zalo's OA manager, told apart by `connectors/zalo/sent.py`). The text is
    personal data: kept encrypted. `kinds`: the kinds of the attachments (image, file, location, …)."""

    __tablename__ = "zalo_conversation"

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(max_length=64, index=True)
    direction: str = Field(max_length=8)  # citizen | oa
    event_name: str = Field(max_length=64)
    msg_id: str | None = Field(default=None, max_length=100)
    text_enc: str | None = Field(default=None, sa_column=sa.Column(sa.Text, nullable=True))
    kinds: list[str] = Field(default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False))
    occurred_at: datetime = _ts(nullable=False, index=True)
