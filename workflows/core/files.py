"""Writing a file so that readers see the old bytes or the new, never a part: one helper for the file store
and the signing key files."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, content: bytes, *, mode: int | None = None) -> None:
    """Write `content` to `path` through a temporary file in the same folder (fsync, then rename), with
    permissions `mode` when given (set before the rename, so the file is never readable more widely).
    Creates the folder; a failure leaves `path` as it was and no temporary file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
