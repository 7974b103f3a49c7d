"""What officials read of the Zalo channel: a dossier's conversation with the OA."""

from __future__ import annotations

from pydantic import BaseModel, Field

from workflows.core.clock import VnDateTime


class ConversationItem(BaseModel):
    """One message between the citizen's Zalo account and the OA."""

    at: VnDateTime = Field(description="When it was sent (Vietnam time, +07:00)")
    who: str = Field(description="Công dân | Hệ thống | Cán bộ qua OA")
    source: str = Field(description="citizen | bot_reply | notification | official_message | oa_manager")
    text: str = Field(description="The text, phone and ID numbers masked")
    attachments: list[str] = Field(description="The attachments by kind, in Vietnamese (Ảnh, Tệp, Vị trí, …)")
    status_name: str | None = Field(None, description="For our own messages: what became of them")


class ConversationOut(BaseModel):
    zalo_linked: bool = Field(description="Whether a Zalo account proved it holds the applicant's phone")
    note: str | None = Field(None, description="Why the list is empty, when no Zalo account is linked")
    items: list[ConversationItem]
