"""The OA's approved templates, checked against Zalo (issue 18, "Templates"): at start-up and on an
administrator's demand, each configured template is asked of Zalo's template-info API and compared with its
parameter mapping (`connectors/zalo/templates.py`); the last result is kept for `GET
/api/v1/admin/zalo/templates` and `/readyz`, and every mismatch is logged. A mismatch never stops the
server: the messages that would fail wait or are dead-lettered with Zalo's code, and an official sees why."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from connectors.zalo.client import ZaloClient
from connectors.zalo.errors import ZaloError
from connectors.zalo.templates import TemplateBook, TemplateCheck, TemplateSpec, check_template, check_unavailable
from connectors.zalo.tokens import TokenStore
from workflows.core.clock import VnDateTime
from workflows.core.config import ZaloSettings

log = logging.getLogger("motcua.zalo.templates")


def book_from_settings(settings: ZaloSettings) -> TemplateBook:
    """The templates of the settings: one spec per kind, the default and per-event ids for the rest."""
    specs = [TemplateSpec(kind=kind, template_id=t.template_id, params=dict(t.params), events=frozenset(t.events))
             for kind, t in settings.templates.items()]
    return TemplateBook(specs, default_template_id=settings.default_template_id, event_ids=settings.template_ids)


@dataclass(frozen=True)
class TemplateReport:
    """One check of every configured template; `ok` when each is enabled and matches its mapping."""

    checked_at: datetime
    templates: list[TemplateCheck] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.templates)

    def to_dict(self) -> dict[str, Any]:
        return {"checked_at": self.checked_at, "ok": self.ok, "templates": [
            {"kind": c.kind, "template_id": c.template_id, "status": c.status, "ok": c.ok,
             "problems": list(c.problems)} for c in self.templates]}


class TemplateChecker:
    """Asks Zalo about every template of `book` and keeps the last report (thread-safe)."""

    def __init__(self, *, client: ZaloClient, book: TemplateBook, tokens: TokenStore,
                 now: Callable[[], datetime], mode: str) -> None:
        self.book = book
        self.mode = mode
        self._client = client
        self._tokens = tokens
        self._now = now
        self._lock = threading.Lock()
        self._last: TemplateReport | None = None

    @property
    def last(self) -> TemplateReport | None:
        with self._lock:
            return self._last

    def check(self) -> TemplateReport:
        """Check every template now (one template-info call each), log the mismatches, keep the report."""
        results = []
        for spec in self.book.to_check():
            try:
                results.append(check_template(spec, self._client.template_info(spec.template_id)))
            except ZaloError as exc:
                results.append(check_unavailable(spec, exc))
        report = TemplateReport(checked_at=self._now(), templates=results)
        for result in report.templates:
            for problem in result.problems:
                log.warning("zalo.template_mismatch kind=%s template_id=%s status=%s: %s",
                            result.kind, result.template_id, result.status, problem)
        if report.ok:
            log.info("zalo.templates_ok count=%d", len(report.templates))
        with self._lock:
            self._last = report
        return report

    def check_at_start(self, *, wait_seconds: float = 30.0, poll: float = 0.5) -> TemplateReport:
        """The start-up check, once the OA has a token (granted in production, by the emulator in
        development); after `wait_seconds` without one it checks anyway, and reports why it could not."""
        deadline = time.monotonic() + wait_seconds
        while self._tokens.current() is None and time.monotonic() < deadline:
            time.sleep(poll)
        return self.check()

    def start_in_background(self) -> threading.Thread:
        thread = threading.Thread(target=self._safe_start, name="zalo-template-check", daemon=True)
        thread.start()
        return thread

    def _safe_start(self) -> None:
        try:
            self.check_at_start()
        except Exception:  # a check must never take the server down; the log says why
            log.exception("zalo.template_check_failed")

    def readiness(self) -> dict[str, Any]:
        """What `/readyz` shows operators: the last check, never a reason to refuse traffic."""
        report = self.last
        if report is None:
            return {"checked": False, "mode": self.mode}
        problems = sum(len(c.problems) for c in report.templates)
        return {"checked": True, "mode": self.mode, "ok": report.ok, "checked_at": report.checked_at.isoformat(),
                "problems": problems,
                "failing": [c.kind for c in report.templates if not c.ok]}


class TemplateCheckOut(BaseModel):
    kind: str = Field(description="Kind of event the template carries", examples=["tiep_nhan"])
    template_id: str
    status: str = Field(description="The template's status at Zalo: ENABLE, DISABLE, REJECT, …; NOT_FOUND, or "
                                    "UNKNOWN when Zalo could not be asked")
    ok: bool
    problems: list[str] = Field(description="What would make a send fail, in Vietnamese")


class TemplateReportOut(BaseModel):
    checked_at: VnDateTime
    ok: bool
    templates: list[TemplateCheckOut]


class TemplateConfigOut(BaseModel):
    kind: str
    template_id: str
    params: dict[str, str] = Field(description="Zalo parameter name → message payload field")
    events: list[str]


class TemplatesOut(BaseModel):
    mode: str = Field(description="production, or development (only the OA's administrators receive)")
    default_template_id: str | None = Field(description="The template of events no kind lists")
    templates: list[TemplateConfigOut]
    last_check: TemplateReportOut | None


def report_out(report: TemplateReport) -> TemplateReportOut:
    return TemplateReportOut.model_validate(report.to_dict())


def configured(checker: TemplateChecker) -> TemplatesOut:
    """The configured templates and the last check (None before the first)."""
    book = checker.book
    last = checker.last
    return TemplatesOut(
        mode=checker.mode, default_template_id=book.default_template_id,
        templates=[TemplateConfigOut(kind=s.kind, template_id=s.template_id, params=dict(s.params),
                                     events=sorted(s.events)) for s in book.to_check()],
        last_check=report_out(last) if last is not None else None)
