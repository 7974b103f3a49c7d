"""The documents of a dossier: printed forms, citizens' uploads and results. The bytes live in the
content-addressed FileStore; this table holds what they are and whose they are."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class DocumentKind(StrEnum):
    FORM = "form"  # one of Mẫu 01–07, rendered by the system
    UPLOAD = "upload"  # a file the citizen or an official attached
    RESULT = "result"  # the signed result (licence, decision)
    RECEIPT = "receipt"  # an e-receipt of fees paid online (biên lai điện tử)


# The storage key of a document whose file the retention job erased (the row stays for the statistics).
ERASED = ""


class DossierDocument(SQLModel, table=True):
    __tablename__ = "dossier_document"

    id: int | None = Field(default=None, primary_key=True)
    dossier_code: str = Field(max_length=64, index=True)
    kind: str = Field(max_length=16)
    form_code: str | None = Field(default=None, max_length=16)
    number: str | None = Field(default=None, max_length=40)  # "15/TNHS": from the form number register
    filename: str = Field(max_length=255)
    media_type: str = Field(max_length=127)
    size: int = Field(sa_type=sa.BigInteger)
    sha256: str = Field(max_length=64, index=True)  # verification finds an issued document by it
    storage_key: str = Field(max_length=128)
    created_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    created_by: str = Field(max_length=128)
    note: str | None = Field(default=None, max_length=1000)


class DocumentSignature(SQLModel, table=True):
    """A digital signature we put on a document: who signed (login, and full name and title as printed),
    with which certificate, when, and how (`local` key file or `remote` service). The signed bytes are the
    document's; verification reads the signature from the file itself and this row only to say it is ours."""

    __tablename__ = "document_signature"

    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(foreign_key="dossier_document.id", index=True)
    dossier_code: str = Field(max_length=64, index=True)
    step: str = Field(max_length=128)  # the BPMN element that signed ("ky_so")
    signer_username: str = Field(max_length=64)
    signer_name: str = Field(max_length=255)
    signer_title: str = Field(max_length=255)
    method: str = Field(max_length=16)
    certificate_sha256: str = Field(max_length=64)
    certificate_serial: str = Field(max_length=64)
    signed_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
