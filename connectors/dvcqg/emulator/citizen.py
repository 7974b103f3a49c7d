"""The citizen's side of DVCQG: online submissions, pushed to the province as DVCQG would.

    {prefix}/citizen-submissions                      POST  a citizen submits on DVCQG (test and demo hook)
    {prefix}/citizen-submissions/{MaHoSo}/supplements POST  the citizen sends a supplement online
    {prefix}/citizen-submissions                      GET   what was submitted and the province's answers
    {prefix}/files/{file_id}                          GET   a submitted file (the push's DuongDanTaiTepTin)

A submission gets a national MaHoSo `<madonvi>-YYMMDD-NNNN` (VN date, daily sequence), its files are kept
and served here, and the push (connectors/dvcqg/inbound.py's shape) is posted to `settings["push_url"]`
with the adapter's `X-API-Key` `settings["push_key"]` — from a worker thread (the routes are sync), so the
province may fetch the files from this emulator while the push waits, even in the same server. A network
failure is retried a few times (the push is idempotent by MaHoSo). Every push and its answer go to the
ledger (`endpoint="push"`).
"""

from __future__ import annotations

import base64
import binascii
import secrets
import time
from typing import Any
from zoneinfo import ZoneInfo

import requests
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from connectors.dvcqg.emulator.state import EmulatorState

VN = ZoneInfo("Asia/Ho_Chi_Minh")
PUSH_ATTEMPTS = 3
PUSH_TIMEOUT_SECONDS = 60.0


class ApplicantIn(BaseModel):
    name: str = Field(min_length=1, max_length=255)
    id_number: str | None = Field(default=None, max_length=20)
    phone: str | None = Field(default=None, max_length=20)
    email: str | None = Field(default=None, max_length=255)
    address: str | None = Field(default=None, max_length=500)
    vneid: bool = False
    tech_id: str | None = Field(default=None, max_length=64)
    kind: str = Field(default="1", pattern=r"^[1-4]$", description="LoaiDoiTuong")


class FileIn(BaseModel):
    name: str = Field(min_length=1, max_length=255)
    component_code: str | None = Field(default=None, max_length=64)
    content_base64: str
    media_type: str = "application/octet-stream"


class SubmissionIn(BaseModel):
    procedure_code: str = Field(min_length=1, max_length=64, description="MaTTHC")
    applicant: ApplicantIn
    consent_zalo: bool = False
    facts: dict[str, str | int] = Field(default_factory=dict, description="ThongTinKeKhai: what decides the fee")
    summary: str | None = Field(default=None, max_length=1000)
    files: list[FileIn] = Field(default_factory=list, max_length=30)
    inline: bool = Field(default=False, description="Send the files' bytes in the push instead of links")


class SupplementIn(BaseModel):
    note: str | None = Field(default=None, max_length=1000)
    files: list[FileIn] = Field(min_length=1, max_length=30)


def _decode(item: FileIn) -> bytes:
    try:
        return base64.b64decode(item.content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise HTTPException(422, f"content_base64 of {item.name!r} is not base64") from None


def routes(state: EmulatorState, settings: dict[str, Any]) -> APIRouter:
    router = APIRouter()
    with state.lock:
        files: dict[str, tuple[str, str, bytes]] = state.extra.setdefault("citizen_files", {})
        submissions: dict[str, dict[str, Any]] = state.extra.setdefault("citizen_submissions", {})
        sequences: dict[str, int] = state.extra.setdefault("citizen_sequences", {})

    def new_code() -> str:
        day = state.now().astimezone(VN).strftime("%y%m%d")
        with state.lock:
            sequences[day] = sequences.get(day, 0) + 1
            return f"{state.madonvi}-{day}-{sequences[day]:04d}"

    def keep_files(request: Request, items: list[FileIn], inline: bool) -> list[dict[str, Any]]:
        out = []
        for i, item in enumerate(items, start=1):
            content = _decode(item)
            entry: dict[str, Any] = {"TepDinhKemId": str(i), "TenTepDinhKem": item.name, "IsDeleted": "False",
                                     "MaThanhPhanHoSo": item.component_code or "", "DuocSoHoa": "0",
                                     "DuocTaiSuDung": "0", "DuocLayTuKhoDMQG": "0"}
            if inline:
                entry["NoiDungTepTin"] = base64.b64encode(content).decode()
            else:
                file_id = secrets.token_urlsafe(12)
                with state.lock:
                    files[file_id] = (item.name, item.media_type, content)
                entry["DuongDanTaiTepTin"] = str(request.url_for("dvcqg_emulator_file", file_id=file_id))
            out.append(entry)
        return out

    def push(url: str, body: dict[str, Any], service: str) -> dict[str, Any]:
        """Post to the province, retrying a network failure; the answer (or what went wrong) is ledgered."""
        logged = {**body, "TaiLieuNop": [{k: v for k, v in f.items() if k != "NoiDungTepTin"}
                                         for f in body.get("TaiLieuNop", [])]}
        answer: dict[str, Any] | None = None
        for attempt in range(1, PUSH_ATTEMPTS + 1):
            try:
                response = requests.post(url, json=body, headers={"X-API-Key": str(settings.get("push_key", ""))},
                                         timeout=PUSH_TIMEOUT_SECONDS)
            except requests.RequestException as exc:
                answer = {"error": f"network: {type(exc).__name__}", "attempt": attempt}
                if attempt < PUSH_ATTEMPTS:
                    time.sleep(0.5 * attempt)
                continue
            try:
                answer = {"http_status": response.status_code, **response.json()}
            except ValueError:
                answer = {"http_status": response.status_code, "text": response.text[:500]}
            break
        ok = bool(answer) and str((answer or {}).get("error_code")) == "0"
        state.record(endpoint="push", service=service, body=logged, reply=answer,
                     outcome="ok" if ok else ("unreachable" if answer and "error" in answer else "refused"))
        return answer or {}

    @router.post("/citizen-submissions")
    def submit(body: SubmissionIn, request: Request) -> dict[str, Any]:
        code = new_code()
        a = body.applicant
        record: dict[str, Any] = {
            "MaHoSo": code, "MaTTHC": body.procedure_code, "KenhThucHien": "2", "NoiNopHoSo": "1",
            "ChuHoSo": a.name, "LoaiDoiTuong": a.kind, "MaDoiTuong": a.tech_id or "",
            "DinhDanhCHS": [{"LoaiDinhDanh": "1" if len(a.id_number) == 12 else "2", "SoDinhDanh": a.id_number}]
            if a.id_number else [],
            "SoDienThoai": a.phone or "", "Email": a.email or "", "DiaChi": a.address or "",
            "TrichYeuHoSo": body.summary or "", "NgayNopHoSo": state.now().astimezone(VN).strftime("%Y%m%d%H%M%S"),
            "TaiKhoanDuocXacThucVoiVNeID": "1" if a.vneid else "0",
            "DongYNhanThongBaoZalo": "1" if body.consent_zalo else "0",
            **({"ThongTinKeKhai": dict(body.facts)} if body.facts else {}),
            "TaiLieuNop": keep_files(request, body.files, body.inline),
        }
        with state.lock:
            submissions[code] = {"record": record, "answers": []}
        answer = push(str(settings["push_url"]), record, "citizen-submission")
        with state.lock:
            submissions[code]["answers"].append(answer)
        return {"MaHoSo": code, "answer": answer}

    @router.post("/citizen-submissions/{code}/supplements")
    def supplement(code: str, body: SupplementIn, request: Request) -> dict[str, Any]:
        with state.lock:
            known = code in submissions
        if not known:
            raise HTTPException(404, f"no submission {code}")
        record = {"MaHoSo": code, "NoiDungBoSung": body.note or "",
                  "NgayNopHoSo": state.now().astimezone(VN).strftime("%Y%m%d%H%M%S"),
                  "TaiLieuNop": keep_files(request, body.files, False)}
        answer = push(f"{str(settings['push_url']).rstrip('/')}/{code}/supplements", record, "citizen-supplement")
        with state.lock:
            submissions[code]["answers"].append(answer)
        return {"MaHoSo": code, "answer": answer}

    @router.get("/citizen-submissions")
    async def list_submissions() -> dict[str, Any]:
        with state.lock:
            return {"items": [{"MaHoSo": code, "MaTTHC": s["record"]["MaTTHC"], "answers": list(s["answers"])}
                              for code, s in submissions.items()]}

    @router.get("/files/{file_id}", name="dvcqg_emulator_file")
    async def get_file(file_id: str) -> Response:
        with state.lock:
            found = files.get(file_id)
        if found is None:
            return Response(status_code=404)
        name, media_type, content = found
        ascii_name = name.encode("ascii", "ignore").decode() or "tep"
        return Response(content, media_type=media_type,
                        headers={"Content-Disposition": f'attachment; filename="{ascii_name}"'})

    return router
