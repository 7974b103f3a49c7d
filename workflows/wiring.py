"""The composition root: builds every long-lived collaborator from the settings, once."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import requests
from argon2 import PasswordHasher
from prometheus_client import CollectorRegistry
from sqlalchemy.engine import Engine as DbEngine

from connectors.dvcqg import AdapterState, DvcqgClient
from connectors.dvcqg.payment import PaymentPlatform
from connectors.dvcqg.sender import CHANNEL as DVCQG_CHANNEL
from connectors.dvcqg.sender import DvcqgSender
from connectors.outbox import OutboxRelay
from connectors.outbox.wakeup import WakeListener
from connectors.zalo.articles import ArticleApi
from connectors.zalo.client import ZaloClient
from connectors.zalo.connection import RefreshBackoff
from connectors.zalo.sender import ZaloSender
from connectors.zalo.tokens import DbTokenStore
from engine import Engine, OperatorRegistry
from workflows import housekeeping, retention
from workflows.collaborators import AfterStepHooks, CalendarProvider, DomainServices
from workflows.core.clock import Clock, SystemClock
from workflows.core.config import Settings
from workflows.core.db import WRITER_PRIORITY, is_postgres, make_db_engine
from workflows.documents.storage import FileStore
from workflows.dossiers import handover, national_sync
from workflows.dossiers.operators import register_operators
from workflows.feedback import service as feedback
from workflows.feedback.operators import register_feedback_operators
from workflows.identity.models import Role
from workflows.identity.service import HashingSlots, password_hasher
from workflows.metrics import BusinessCollector
from workflows.notifications.metrics import OutboxStateCollector
from workflows.notifications.waiting import WaitingRuleCollector
from workflows.privacy import PersonalDataCipher, install_log_masking
from workflows.process.metrics import STEP_SECONDS
from workflows.scheduler import Scheduler, zalo_token_refresher
from workflows.zalo.article_jobs import JOB as ARTICLES_JOB
from workflows.zalo.article_jobs import ArticleJob
from workflows.zalo.grant import ConnectionCollector
from workflows.zalo.recipients import AttachmentLoader, RecipientResolver
from workflows.zalo.templates import TemplateChecker, book_from_settings

log = logging.getLogger("motcua.wiring")
DVCQG_SYNC_JOB = "dvcqg_sync"  # the scheduler's pass of the DVCQG status-sync relay


def after_step_hooks() -> AfterStepHooks:
    """What follows an engine step, by process key (`workflows.process` runs it after every step): the feedback
    process gets `feedback.service.after_step`; every other process is a dossier's (its key is the procedure
    catalogue's) and gets `dossiers.handover.after_step` (progress, then hand-overs between agencies), which
    does nothing when no dossier has the key."""
    return AfterStepHooks(by_key={feedback.PROCESS_KEY: feedback.after_step}, default=handover.after_step)


@dataclass
class Wiring:
    settings: Settings
    clock: Clock
    db: DbEngine
    metrics_registry: CollectorRegistry
    cipher: PersonalDataCipher
    engine: Engine
    domain: DomainServices
    tokens: DbTokenStore
    zalo: ZaloClient
    relay: OutboxRelay
    scheduler: Scheduler
    hashing: HashingSlots
    password_hasher: PasswordHasher  # the settings' argon2 parameters (auth.argon2)
    templates: TemplateChecker
    dvcqg: DvcqgClient
    payments: PaymentPlatform
    dvcqg_relay: OutboxRelay | None = None  # the status sync (channel `dvcqg`); None in compositions without it
    background: list[Any] = field(default_factory=list)

    def start_background(self) -> None:
        """Start the jobs (`start_jobs`) when the settings say this process runs them, and what a server
        process does at start: the development emulator's grant, the template check."""
        if self.settings.scheduler.enabled:
            self.start_jobs()
        if self.settings.emulator_base_url and self.settings.zalo.emulator_auto_grant:
            threading.Thread(target=self.bootstrap_emulator_tokens, name="zalo-bootstrap", daemon=True).start()
        if self.settings.zalo.template_check_on_start:
            self.templates.start_in_background()  # reported in the log and /readyz; never stops the start

    def start_jobs(self) -> None:
        """Start the scheduler (which runs the outbox relay), the status sync's relay and, on PostgreSQL,
        the listener that wakes them for rows other processes enqueue (`connectors.outbox.wakeup`). Stopped
        by `close`."""
        if self.dvcqg_relay is not None:
            self.dvcqg_relay.start()  # its own thread, woken by notify_relay (the scheduler's job backs it)
            self.background.append(self.dvcqg_relay)
        self.scheduler.start()
        self.background.append(self.scheduler)
        if is_postgres(self.db):
            wake = {relay.channel: relay.notify for relay in (self.relay, self.dvcqg_relay) if relay is not None}
            listener = WakeListener(db=self.db, wake=wake)
            listener.start()
            self.background.append(listener)

    def scheduler_state(self) -> dict[str, Any]:
        return self.scheduler.state()

    def dvcqg_state(self) -> AdapterState:
        return dvcqg_adapter_state(self.dvcqg, self.scheduler)

    def notify_relay(self) -> None:
        """Wake the relay right after a commit that enqueued messages (well under a second to send)."""
        self.relay.notify()
        if self.dvcqg_relay is not None:
            self.dvcqg_relay.notify()

    def bootstrap_emulator_tokens(self, attempts: int = 50) -> bool:
        """Development only: grant the app on the emulator and exchange the code, once the server answers.
        Always done at start: the emulator keeps its state in memory, so tokens of a previous run are void."""
        url = f"{self.settings.emulator_base_url}/grant"
        for _ in range(attempts):
            try:
                code = requests.post(url, timeout=5).json()["code"]
                self.zalo.exchange_code(code)
                return True
            except (requests.RequestException, KeyError, ValueError):
                time.sleep(0.2)  # the server is still starting
        log.warning("zalo.emulator_bootstrap_failed url=%s", url)
        return False

    def close(self) -> None:
        for worker in reversed(self.background):
            worker.stop()
        self.db.dispose()


def zalo_base_urls(settings: Settings) -> dict[str, str]:
    base = settings.emulator_base_url
    if base is None:
        return {"openapi_base_url": settings.zalo.openapi_base_url,
                "business_base_url": settings.zalo.business_base_url,
                "oauth_base_url": settings.zalo.oauth_base_url}
    return {"openapi_base_url": f"{base}/openapi", "business_base_url": f"{base}/business",
            "oauth_base_url": f"{base}/oauth"}


def dvcqg_client(settings: Settings, clock: Clock) -> DvcqgClient:
    """The adapter client: the development emulator's adapter, or the province's (`settings.dvcqg_adapter_url`)."""
    adapter = settings.dvcqg.adapter
    return DvcqgClient(adapter_url=settings.dvcqg_adapter_url, username=adapter.username,
                       password=adapter.password.get_secret_value(), dstcode=adapter.dstcode,
                       madonvi=adapter.madonvi, session=requests.Session(), timeout=adapter.timeout_seconds,
                       now=clock.now, auth_path=adapter.auth_path, integration_path=adapter.integration_path,
                       share_path=adapter.share_path)  # the emulator serves the default paths


def payment_platform(settings: Settings, clock: Clock) -> PaymentPlatform:
    """The DVCQG payment platform: the development emulator's, or the configured one."""
    payment = settings.dvcqg.payment
    return PaymentPlatform(base_url=settings.dvcqg_payment_url, bearer_token=payment.bearer_token.get_secret_value(),
                           partner=payment.partner_code, secret=payment.secret.get_secret_value(),
                           version=payment.version, account=payment.beneficiary_account,
                           bank=payment.beneficiary_bank, account_name=payment.beneficiary_name,
                           session=requests.Session(), timeout=settings.dvcqg.adapter.timeout_seconds, now=clock.now)
def dvcqg_adapter_state(client: DvcqgClient, scheduler: Scheduler) -> AdapterState:
    """The DVCQG adapter as this process's calls and the status sync's (reported by the process running the
    jobs, on PostgreSQL not this one) say together."""
    reported = scheduler.job_figures().get(DVCQG_SYNC_JOB, {}).get("detail")
    return client.adapter_state().merged(AdapterState.from_detail(reported))


def dvcqg_sync_relay(settings: Settings, clock: Clock, *, db: DbEngine, client: DvcqgClient,
                     cipher: PersonalDataCipher) -> OutboxRelay:
    """The status sync's relay: `dvcqg` rows, one DVCQG call each (a lookup first after an uncertain attempt),
    with the sync's own retry settings. A claim may make up to four adapter requests (login, lookup, create,
    replace), hence the send margin."""
    sync = settings.dvcqg.sync
    lease = timedelta(seconds=settings.scheduler.outbox_lease_seconds)
    margin = min(timedelta(seconds=settings.dvcqg.adapter.timeout_seconds * 4), lease / 2)
    sender = DvcqgSender(client=client, now=clock.now, link_for=lambda document_id: national_sync.file_link(
        settings, document_id=document_id, now=clock.now()))
    return OutboxRelay(db_engine=db, sender=sender, resolve_recipient=national_sync.DvcqgApplicants(db, cipher),
                       now=clock.now, channel=DVCQG_CHANNEL, max_attempts=sync.max_attempts,
                       base_delay=sync.retry_base_seconds, max_delay=sync.retry_max_seconds, lease=lease,
                       send_margin=margin, interval=settings.scheduler.outbox_interval_seconds,
                       dead_blocks=True)  # a refused record holds its dossier's later calls until resent


def relay_pass(relay: OutboxRelay, batch: int = 50) -> int:
    """A scheduler job: passes of `relay` while they finish rows (nothing while its own thread runs)."""
    if relay.running:
        return 0
    done = 0
    for _ in range(20):
        stats = relay.run_once(batch)
        finished = stats.sent + stats.unreachable + stats.dead
        done += finished
        if finished == 0:
            break
    return done


def build_wiring(settings: Settings, *, clock: Clock | None = None) -> Wiring:
    logging.getLogger("spiff").setLevel(logging.WARNING)  # Spiff logs every state change at INFO
    install_log_masking()  # no phone or ID number reaches a log (DESIGN.md "Data protection")
    clock = clock or SystemClock()
    db = make_db_engine(settings.database)
    # What delivers to citizens goes first at SQLite's writer gate (workflows.core.db.WriterGate); the same
    # pool and the same database, no effect on PostgreSQL.
    delivery_db = db.execution_options(**{WRITER_PRIORITY: True})
    cipher = PersonalDataCipher.from_settings(settings.crypto)
    store = FileStore(settings.storage.directory, cipher)  # scans and forms carry personal numbers
    domain = DomainServices(settings=settings, clock=clock, cipher=cipher, calendars=CalendarProvider(settings),
                            store=store, after_step=after_step_hooks())
    operators = OperatorRegistry()
    register_operators(operators, domain)
    register_feedback_operators(operators, domain)
    # A user task's lane names the role that works it (BPMN_CONVENTIONS.md): deploy refuses any other name.
    engine = Engine(operators=operators, now=clock.now, max_task_depth=settings.max_task_depth,
                    lanes=frozenset(Role))
    tokens = DbTokenStore(delivery_db, cipher=cipher, backoff=RefreshBackoff(
        base=timedelta(seconds=settings.zalo.refresh_backoff_seconds),
        cap=timedelta(seconds=settings.zalo.refresh_backoff_max_seconds)))
    zalo = ZaloClient(**zalo_base_urls(settings), app_id=settings.zalo.app_id,
                      app_secret=settings.zalo.app_secret.get_secret_value(), tokens=tokens,
                      session=requests.Session(), timeout=settings.zalo.timeout_seconds, now=clock.now)
    book = book_from_settings(settings.zalo)
    sender = ZaloSender(client=zalo, db_engine=delivery_db, now=clock.now,
                        load_attachment=AttachmentLoader(delivery_db, store),
                        templates=book, template_mode=settings.zalo.template_mode)
    relay = OutboxRelay(db_engine=delivery_db, sender=sender, resolve_recipient=RecipientResolver(delivery_db, cipher),
                        now=clock.now, max_attempts=settings.zalo.max_attempts,
                        base_delay=settings.zalo.retry_base_seconds, max_delay=settings.zalo.retry_max_seconds,
                        lease=timedelta(seconds=settings.scheduler.outbox_lease_seconds),
                        send_margin=timedelta(seconds=settings.zalo.longest_call_seconds),
                        interval=settings.scheduler.outbox_interval_seconds,
                        ready=lambda: tokens.can_send(clock.now()))  # messages wait for the OA grant
    registry = CollectorRegistry()
    registry.register(OutboxStateCollector(db))
    registry.register(WaitingRuleCollector(db))  # messages held back by Zalo's sending rules
    articles = ArticleJob(db=db, api=ArticleApi(zalo), store=store, now=clock.now, notify=relay.notify)
    registry.register(ConnectionCollector(tokens))
    dvcqg = dvcqg_client(settings, clock)
    registry.register(STEP_SECONDS)  # step latency, observed by `process.complete`
    dvcqg_relay = dvcqg_sync_relay(settings, clock, db=delivery_db, client=dvcqg, cipher=cipher)
    extra_jobs = {ARTICLES_JOB: (articles.run, settings.scheduler.zalo_articles_interval_seconds),
                  DVCQG_SYNC_JOB: (lambda: relay_pass(dvcqg_relay), settings.scheduler.outbox_interval_seconds)}
    # Ended rate-limit windows and forgotten login-throttle rows (workflows/housekeeping.py).
    extra_jobs[housekeeping.JOB] = (housekeeping.job(db, login=settings.auth.login, now=clock.now),
                                    housekeeping.INTERVAL_SECONDS)
    if settings.retention.enabled:  # closed dossiers whose retention ended lose their personal data
        extra_jobs[retention.JOB] = (retention.job(db, store=store, settings=settings.retention, now=clock.now),
                                     settings.retention.interval_seconds)
    scheduler = Scheduler(db=db, engine=engine, relay=relay, services=domain, settings=settings, registry=registry,
                          token_refresher=zalo_token_refresher(tokens=tokens, client=zalo, now=clock.now),
                          extra_jobs=extra_jobs,
                          # The status sync's calls are the jobs' process's: its report carries the adapter.
                          details={DVCQG_SYNC_JOB: lambda: dvcqg.adapter_state().to_detail()})
    registry.register(BusinessCollector(db, clock=clock,  # dossiers, tasks, incidents, sync
                                        dvcqg=lambda: dvcqg_adapter_state(dvcqg, scheduler)))
    return Wiring(settings=settings, clock=clock, db=db, metrics_registry=registry, cipher=cipher, engine=engine,
                  domain=domain, tokens=tokens, zalo=zalo, relay=relay, scheduler=scheduler,
                  hashing=HashingSlots(settings.auth.max_concurrent_hashes,
                                       lock_file=settings.auth.hash_lock_file),
                  password_hasher=password_hasher(settings.auth.argon2),
                  templates=TemplateChecker(client=zalo, book=book, tokens=tokens, now=clock.now,
                                            mode=settings.zalo.template_mode),
                  dvcqg=dvcqg, dvcqg_relay=dvcqg_relay, payments=payment_platform(settings, clock))
