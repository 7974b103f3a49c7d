"""Digital signatures (ký số) of the documents we issue: one signing interface (`base.DocumentSigner`) with a
local PKCS#12 signer and a remote signing service client, PAdES signing and validation with pyHanko, and the
development CA. docs/SIGNATURES.md."""

from __future__ import annotations

import warnings
from types import ModuleType


def load_signers() -> ModuleType:
    """`workflows.signing.signers` (and with it pyHanko), imported on first use. pyHanko imports
    cryptography's DSA type, which warns on every process start; we never sign with DSA, so that warning
    is kept out of the logs."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="DSA is deprecated")
        from workflows.signing import signers
    return signers
