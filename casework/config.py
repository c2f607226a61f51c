"""The only place that reads the environment (and an optional `.env`)."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"

# Used only when HOTLINE_ENV=development and no token is set, so the local
# simulator and the webhooks agree on a signature without any real secret.
DEVELOPMENT_AUTH_TOKEN = "development-only-auth-token"  # nosec B105: refused outside development (check())
DEVELOPMENT_LINE_SECRET = "development-only-line-secret"  # nosec B105: the same, for LINE's webhook signature


POOLS = ("web", "webhooks")
PREFIXED = {"ENV": "HOTLINE_ENV", "POOL": "HOTLINE_POOL"}  # settings whose variable carries the service's name


class ConfigError(RuntimeError):
    """A setting is missing or contradicts another; start-up must stop."""


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass
class Config:
    ENV: str = "production"  # production | development | test (HOTLINE_ENV)
    POOL: str = "web"  # the gunicorn pool this process serves (HOTLINE_POOL): web | webhooks, see `pool()`
    DATABASE_URL: str = f"sqlite:///{INSTANCE / 'hotline.db'}"
    REDIS_URL: str | None = None  # None: the embedded Redis (development only)
    SECRET_KEY: str | None = None
    TWILIO_ACCOUNT_SID: str | None = None
    TWILIO_AUTH_TOKEN: str | None = None
    TWILIO_WEBHOOK_SHARED_KEY: str | None = None
    TWILIO_API_BASE_URL: str | None = None
    TWILIO_FROM_NUMBER: str | None = None
    TWILIO_MESSAGING_SERVICE_SID: str | None = None
    TWILIO_SIGNATURE_CHECK: bool = True
    # LINE (issue 17): the channel secret signs LINE's webhooks; the chat is on when it is set (development: a
    # development secret). Without an access token (development, tests) messages are written as dry-run.
    LINE_CHANNEL_SECRET: str | None = None
    LINE_CHANNEL_ACCESS_TOKEN: str | None = None
    LINE_API_BASE_URL: str = "https://api.line.me"
    LINE_DATA_API_BASE_URL: str = "https://api-data.line.me"  # where LINE keeps what people send (images, voice notes)
    # The images, voice notes, videos and files people send on LINE, copied here (mode 0600, random names): LINE
    # deletes them after some days. Over LINE_MEDIA_MAX_BYTES one is not kept (its row says "too-large").
    MEDIA_DIR: Path = INSTANCE / "line_media"
    LINE_MEDIA_MAX_BYTES: int = 20 * 1024 * 1024
    OPERATOR_DIAL_TARGET: str | None = None  # desk (the default: casework.desk_line), an E.164 number, sip: URI, queue:<name>
    OPERATOR_DIAL_TIMEOUT: int = 30
    # The operator desk (issue 16), in seconds: a caller is offered a message after DESK_MAX_WAIT; after
    # DESK_LANGUAGE_WAIT they go to any free operator, with an interpreter; an operator has DESK_OFFER_SECONDS to
    # answer; DESK_WRAP_UP of wrap-up follows a call. The desk dials from DESK_CALLER_ID (else TWILIO_FROM_NUMBER).
    DESK_MAX_WAIT: int = 180
    DESK_LANGUAGE_WAIT: int = 60
    DESK_OFFER_SECONDS: int = 20
    DESK_WRAP_UP: int = 60
    DESK_CALLER_ID: str | None = None
    # An API key of the Twilio account (Console > API keys): signs the Voice SDK access tokens of operators who
    # take calls in the browser. Without it, the browser endpoint is off (phones and SIP still ring).
    TWILIO_API_KEY_SID: str | None = None
    TWILIO_API_KEY_SECRET: str | None = None
    # e.g. https://hotline.example.go.th; required in production: the URL the signature check verifies (never the Host
    # header, which a request Twilio signed for another host of the account, staging, would carry), the SMS status
    # callback and the console link the workers write.
    PUBLIC_BASE_URL: str | None = None
    PROXY_FIX_X_FOR: int = 0  # how many reverse proxies set X-Forwarded-*
    VOICE_TH: str = "Google.th-TH-Standard-A"
    VOICE_EN: str = "Google.en-US-Standard-C"
    PROMPTS_DIR: Path = ROOT / "prompts"
    SPOOL_DIR: Path = INSTANCE / "spool"
    ESCALATION_ACK_WINDOW_URGENT: int = 600  # seconds a level has to acknowledge an urgent case
    ESCALATION_ACK_WINDOW_NORMAL: int = 3600
    SIMULATOR_CALL_IDLE: int = 1800  # seconds without a webhook before the relay ends a simulator call (a closed tab)
    OUTBOX_SWEEP_AFTER: int = 60  # seconds before an unfinished outbox item is enqueued again
    API_RATE_LIMIT_PER_MINUTE: int = 120  # requests a minute per API token
    MAX_CONTENT_LENGTH: int = 64 * 1024  # Twilio's webhooks are a few kB
    CONSOLE_SESSION_MAX_AGE: int = 8 * 3600  # seconds a console login lasts, however busy
    CONSOLE_SESSION_IDLE: int = 30 * 60  # seconds without a request before a console login ends
    CONSOLE_LOGIN_ATTEMPTS: int = 5  # failed logins per username and address ...
    CONSOLE_LOGIN_WINDOW: int = 15 * 60  # ... within this many seconds, then 429
    CONSOLE_POLL_SECONDS: int = 10  # how often the dashboard asks for news
    CONSOLE_PAGE_SIZE: int = 50  # rows per page in console lists
    RECORDING_FETCH_TIMEOUT: int = 10  # seconds to wait for each read from Twilio when playing a recording
    RECORDING_STREAMS: int = 2  # recordings fetched at once per web process; one more is a 503
    # How long personal data is kept (PDPA); docs/deploy.md explains each class. Data of an open case stays.
    RETENTION_RECORDING_DAYS: int = 90  # voice messages: deleted on Twilio, reference blanked
    RETENTION_NUMBER_DAYS: int = 30  # caller numbers of calls that opened no case: blanked
    RETENTION_CALL_NOTE_DAYS: int = 365  # notes on calls that opened no case: deleted
    RETENTION_SMS_DAYS: int = 365  # SMS in and out (bodies, numbers), dry-run ones included: deleted
    RETENTION_CLOSED_CASE_YEARS: int = 10  # then a closed case keeps only kind, place, outcome and times
    RETENTION_HOUR: int = 3  # Bangkok hour after which the relay schedules the day's retention run
    # The reports page's summary (casework/summary.py): the periods touching the last REPORTS_RECOUNT_DAYS days are
    # counted again every REPORTS_RECOUNT_EVERY seconds, every period once a night after the Bangkok hour REPORTS_RECOUNT_HOUR.
    REPORTS_RECOUNT_EVERY: int = 300
    REPORTS_RECOUNT_DAYS: int = 31
    REPORTS_RECOUNT_HOUR: int = 2
    LOG_LEVEL: str = "INFO"
    LOG_FORMAT: str = "json"  # json (one object per line) | text
    METRICS_TOKEN: str | None = None  # bearer token for GET /metrics; unset: /metrics is 404
    PROMETHEUS_MULTIPROC_DIR: Path | None = None  # gunicorn.conf.py points prometheus-client here
    WORKER_SEEN_WITHIN: int = 480  # /readyz: a worker's last heartbeat at most this many seconds ago
    TESTING: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def development(self) -> bool:
        return self.ENV in {"development", "test"}

    @classmethod
    def from_env(cls, environ: os._Environ | dict | None = None) -> Config:
        if environ is None:
            load_dotenv()
            environ = os.environ
        env = {k: v for k, v in environ.items() if v != ""}
        cfg = cls()
        for f in fields(cls):
            name = PREFIXED.get(f.name, f.name)
            if f.name == "extra" or name not in env:
                continue
            raw = env[name]
            current = getattr(cfg, f.name)
            if isinstance(current, bool):
                value = _flag(raw)
            elif isinstance(current, int):
                if not raw.strip().lstrip("-").isdigit():
                    raise ConfigError(f"{name} must be a whole number, not {raw[:40]!r}")
                value = int(raw)
            elif isinstance(current, Path):
                value = Path(raw)
            else:
                value = raw
            setattr(cfg, f.name, value)
        cfg.check()
        return cfg

    def check(self) -> None:
        """Stop start-up with a clear message instead of running half-configured."""
        if self.ENV not in {"production", "development", "test"}:
            raise ConfigError(f"HOTLINE_ENV must be production, development or test, not {self.ENV!r}")
        if self.POOL not in POOLS:
            raise ConfigError(f"HOTLINE_POOL must be {' or '.join(POOLS)}, not {self.POOL!r}")
        if self.LOG_FORMAT not in {"json", "text"}:
            raise ConfigError(f"LOG_FORMAT must be json or text, not {self.LOG_FORMAT!r}")
        if self.RECORDING_STREAMS < 1:
            raise ConfigError(f"RECORDING_STREAMS must be at least 1, not {self.RECORDING_STREAMS}")
        if self.PUBLIC_BASE_URL and not self.PUBLIC_BASE_URL.startswith(("https://", "http://")):
            raise ConfigError(f"PUBLIC_BASE_URL must be the URL Twilio calls, such as https://1300.example.go.th, "
                              f"not {self.PUBLIC_BASE_URL[:60]!r}")
        if not self.LINE_API_BASE_URL.startswith(("https://", "http://")):
            raise ConfigError(f"LINE_API_BASE_URL must be a URL such as https://api.line.me, not {self.LINE_API_BASE_URL[:60]!r}")
        if not self.LINE_DATA_API_BASE_URL.startswith(("https://", "http://")):
            raise ConfigError("LINE_DATA_API_BASE_URL must be a URL such as https://api-data.line.me, "
                              f"not {self.LINE_DATA_API_BASE_URL[:60]!r}")
        if not self.TWILIO_SIGNATURE_CHECK and not self.development:
            raise ConfigError("TWILIO_SIGNATURE_CHECK=off is allowed only with HOTLINE_ENV=development")
        if self.development:
            self.SECRET_KEY = self.SECRET_KEY or secrets.token_hex(32)
            self.TWILIO_AUTH_TOKEN = self.TWILIO_AUTH_TOKEN or DEVELOPMENT_AUTH_TOKEN
            self.LINE_CHANNEL_SECRET = self.LINE_CHANNEL_SECRET or DEVELOPMENT_LINE_SECRET
            return
        missing = [
            name
            for name in ("SECRET_KEY", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "REDIS_URL", "PUBLIC_BASE_URL")
            if not getattr(self, name)
        ]
        if not (self.TWILIO_FROM_NUMBER or self.TWILIO_MESSAGING_SERVICE_SID):
            missing.append("TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID")
        if self.desk and not self.desk_caller_id:
            missing.append("DESK_CALLER_ID or TWILIO_FROM_NUMBER (the number the desk rings operators from)")
        if bool(self.LINE_CHANNEL_SECRET) != bool(self.LINE_CHANNEL_ACCESS_TOKEN):  # LINE is on with both, off with neither
            missing.append("LINE_CHANNEL_ACCESS_TOKEN" if self.LINE_CHANNEL_SECRET else "LINE_CHANNEL_SECRET")
        if self.LINE_CHANNEL_SECRET == DEVELOPMENT_LINE_SECRET:
            missing.append("LINE_CHANNEL_SECRET (the development one is refused)")
        if missing:
            raise ConfigError(
                "missing required settings for production: " + ", ".join(missing)
                + " (set them in the environment, or HOTLINE_ENV=development for a local run)"
            )

    @property
    def desk(self) -> bool:
        """Callers who ask for a person go to the operator desk (else OPERATOR_DIAL_TARGET's one line)."""
        return (self.OPERATOR_DIAL_TARGET or "desk") == "desk"

    @property
    def desk_caller_id(self) -> str | None:
        return self.DESK_CALLER_ID or self.TWILIO_FROM_NUMBER

    @property
    def sms_dry_run(self) -> bool:
        """No real credentials (development only): SMS are written to the database instead of sent."""
        return not (self.TWILIO_ACCOUNT_SID and self.TWILIO_AUTH_TOKEN and self.TWILIO_AUTH_TOKEN != DEVELOPMENT_AUTH_TOKEN)


    @property
    def line_dry_run(self) -> bool:
        """No LINE access token (development only): LINE messages are written to the database instead of sent."""
        return not self.LINE_CHANNEL_ACCESS_TOKEN


def settings_or_exit(process: str) -> Config:
    """The settings for an entry point (gunicorn's app, `flask`, a worker): a missing or wrong one stops it with one
    line naming it, exit status 1, not a traceback."""
    try:
        return Config.from_env()
    except ConfigError as error:
        raise SystemExit(f"{process}: {error}") from None


def metrics_directory() -> Path | None:
    """PROMETHEUS_MULTIPROC_DIR as set for gunicorn (None: gunicorn.conf.py makes a private one)."""
    load_dotenv()
    value = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(value) if value else None


@dataclass(frozen=True)
class Pool:
    """How gunicorn serves one pool (docs/deploy.md, "The processes")."""

    name: str
    workers: int
    threads: int  # 1: sync workers; more: gthread
    nice: int  # added to the workers' niceness: the console yields the CPU to callers


def pool() -> Pool:
    """The pool this gunicorn serves, from HOTLINE_POOL (the Procfile's `voice:` line sets `webhooks`).

    webhooks: Twilio's callbacks only, sync workers, VOICE_CONCURRENCY of them, else two per core (a worker
    waits on PostgreSQL for part of each webhook, bench P1), 2 to 8. web: the console and the API, WEB_CONCURRENCY
    processes (default 2) of WEB_THREADS threads (default 4), so a slow page or a slow Twilio recording holds one
    thread, not a process; at WEB_NICE (default 10) lower CPU priority than the webhooks."""
    load_dotenv()
    name = os.environ.get("HOTLINE_POOL") or "web"
    if name not in POOLS:
        raise ConfigError(f"HOTLINE_POOL must be {' or '.join(POOLS)}, not {name!r}")
    number = lambda variable, default: int(os.environ.get(variable) or default)  # noqa: E731
    if name == "webhooks":
        return Pool(name, number("VOICE_CONCURRENCY", max(2, min(2 * (os.cpu_count() or 1), 8))), 1, 0)
    return Pool(name, number("WEB_CONCURRENCY", 2), number("WEB_THREADS", 4), number("WEB_NICE", 10))


def load_dotenv() -> None:
    env_file = ROOT / ".env"
    if env_file.exists():
        import dotenv

        dotenv.load_dotenv(env_file, override=False)
