"""Every table of the connectors, imported so SQLModel.metadata knows them (see workflows/models)."""

from connectors.outbox.models import OutboxMessage
from connectors.zalo.connection import ZaloConnection, ZaloGrantRequest
from connectors.zalo.sent import ZaloSentMessage
from connectors.zalo.tokens import ZaloToken
from connectors.zalo.users import ZaloUser
from connectors.zalo.webhook import ZaloEventRecord

__all__ = ["OutboxMessage", "ZaloConnection", "ZaloEventRecord", "ZaloGrantRequest", "ZaloSentMessage", "ZaloToken",
           "ZaloUser"]
