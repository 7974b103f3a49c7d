"""The front-end build (`web/`, bundled by esbuild into `api/web/static/build/`) served under `/static/build/`.

Pages load bpmn-js and our bundles from here, never from a CDN: they work offline, and what runs is what
`web/package-lock.json` pinned. The folder is written by `make` (the web stamp), not committed.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse

from workflows.core.errors import NotFound

BUILD_DIR = Path(__file__).resolve().parent / "static" / "build"
# Only these kinds are served; anything else the build may leave (a LEGAL.txt, a map) is not.
TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".eot": "application/vnd.ms-fontobject",
    ".svg": "image/svg+xml",
}
# One path segment of plain characters: no '/', no '..', no hidden file. The resolved path is checked too.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)+")
# esbuild names the font files `<name>-<HASH>.<ext>`: their content never changes under one name.
_HASHED = re.compile(r".+-[A-Z0-9]{8}\.[a-z0-9]+")


def build_router(build_dir: Path = BUILD_DIR) -> APIRouter:
    """`GET /static/build/{name}`: one built file, with its content type. The fixed names
    (`bpmn-viewer.js`, `bpmn.css`, …) are revalidated on every use (`no-cache`; an unchanged file answers
    304 to its ETag), so a new build is seen at once; hashed font files are cached for a year."""
    router = APIRouter(tags=["web"], include_in_schema=False)
    root = build_dir.resolve()

    @router.get("/static/build/{name}")
    def asset(name: str, request: Request) -> Response:
        path = root / name
        media_type = TYPES.get(path.suffix)
        if (not _NAME.fullmatch(name) or media_type is None or path.resolve().parent != root
                or not path.is_file()):
            raise NotFound("Không tìm thấy tệp.", code="asset_not_found")
        stat = path.stat()
        etag = '"' + hashlib.sha256(f"{stat.st_mtime_ns}-{stat.st_size}".encode()).hexdigest()[:32] + '"'
        headers = {
            "Cache-Control": "public, max-age=31536000, immutable" if _HASHED.fullmatch(name) else "no-cache",
            "ETag": etag,
        }
        # Starlette's FileResponse answers conditional requests only for ranges; the pages revalidate on
        # each load, so the unchanged case must be cheap.
        if etag in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
            return Response(status_code=304, headers=headers)
        return FileResponse(path, media_type=media_type, headers=headers, stat_result=stat)

    return router
