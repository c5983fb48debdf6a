"""One frozen Settings object read from RECALL_* environment variables."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

DEFAULT_SECRET_KEY = "insecure-development-key-change-me"
# none: straight to PostgreSQL (or a pooler in session mode); pgbouncer: transaction mode.
DATABASE_POOLERS = ("none", "pgbouncer")


@dataclass(frozen=True)
class Smtp:
    host: str = ""
    port: int = 587
    username: str = ""
    password: str = ""
    sender: str = "recall@localhost"
    starttls: bool = True

    @property
    def configured(self) -> bool:
        return bool(self.host)


@dataclass(frozen=True)
class Delivery:
    """How notices go out: attempts, backoff, time limits, concurrency, reminders."""

    attempts: int = 8  # per message and channel, the first try included
    retry_base_seconds: float = 5.0  # first backoff; doubles per attempt, with jitter
    retry_max_seconds: float = 1800.0
    webhook_timeout_seconds: float = 10.0
    concurrency: int = 500  # requests in flight per worker process
    notices_per_job: int = 200
    job_timeout_seconds: int = 120
    # Reminders to non-responders at these fractions of the time they were given to respond.
    reminder_fractions: tuple[float, ...] = (0.5, 0.8)


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///.recall/recall.sqlite3"
    # "pgbouncer" when RECALL_DATABASE_URL reaches PostgreSQL through a pooler in transaction
    # mode: no statement prepared on one server connection is reused on another.
    database_pooler: str = "none"
    database_pool_size: int = 20  # connections each web or worker process opens at most
    redis_url: str = "redis://127.0.0.1:6379/0"
    secret_key: str = DEFAULT_SECRET_KEY
    mode: str = "development"  # production | development | demo | test
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = "http://127.0.0.1:8000"
    data_dir: Path = Path(".recall")
    time_zone: str = "Asia/Jakarta"
    token_ttl_minutes: int = 12 * 60
    login_attempts_per_minute: int = 10
    max_body_bytes: int = 1024 * 1024
    max_import_bytes: int = 64 * 1024 * 1024
    smtp: Smtp = field(default_factory=Smtp)
    complaint_profiles: tuple[str, ...] = ("bpom",)  # regulatory profiles complaints answer to
    plant_country: str = "ID"  # ISO 3166 alpha-2: a consignee's country unless given
    # The manufacturer as its reports to authorities name it (letterhead, signature place).
    company_name: str = ""
    company_address: str = ""
    company_city: str = ""
    qa_alert_email: str = ""  # alerts for QA are also mailed here when set
    delivery: Delivery = field(default_factory=Delivery)
    # Keys RECALL_SECRET_KEY replaced, newest first: old audit entries and secrets stay readable.
    previous_secret_keys: tuple[str, ...] = ()
    # Networks webhooks may reach although they are not public (an intranet, a test receiver).
    webhook_allowed_networks: tuple[str, ...] = ()
    # Reverse proxies whose X-Forwarded-For is believed; every other peer is the client.
    trusted_proxies: tuple[str, ...] = ()
    metrics_token: str = ""  # a bearer token for Prometheus besides an admin's
    audit_checkpoint_dir: Path = Path(".recall/audit-checkpoints")
    attachment_max_mb: int = 25  # evidence files up to this many MiB each
    # Where evidence files are kept: file:///path or s3://bucket/prefix; "" = the data dir.
    attachment_store: str = ""

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def sqlite_path(self) -> str:
        """Path of the SQLite file: `sqlite:///relative` or `sqlite:////absolute`."""
        return self.database_url.removeprefix("sqlite:///")

    @property
    def is_production(self) -> bool:
        return self.mode == "production"

    @property
    def attachment_max_bytes(self) -> int:
        return self.attachment_max_mb * 1024 * 1024

    @property
    def attachment_store_url(self) -> str:
        """RECALL_ATTACHMENT_STORE, or the `attachments` folder of the data dir."""
        return self.attachment_store or f"file://{(self.data_dir / 'attachments').resolve()}"

    def check(self) -> None:
        """Refuse settings that are unsafe for the mode they run in."""
        from recall.errors import ConfigurationError

        if self.is_production and self.secret_key == DEFAULT_SECRET_KEY:
            raise ConfigurationError(
                "RECALL_SECRET_KEY is the built-in development key; "
                "set a long random value before running in production"
            )
        if self.is_production and len(self.secret_key) < 32:
            raise ConfigurationError("RECALL_SECRET_KEY must be at least 32 characters")
        if not 0 < self.port < 65536:
            raise ConfigurationError(f"RECALL_PORT must be 1-65535, not {self.port}")
        if not self.database_url.startswith(("sqlite:///", "postgres://", "postgresql://")):
            raise ConfigurationError(
                "RECALL_DATABASE_URL must start with sqlite:///, postgres:// or postgresql://"
            )
        if self.database_pooler not in DATABASE_POOLERS:
            raise ConfigurationError(
                f"RECALL_DATABASE_POOLER must be one of {', '.join(DATABASE_POOLERS)}, "
                f"not {self.database_pooler!r}"
            )
        if self.database_pooler != "none" and self.is_sqlite:
            raise ConfigurationError("RECALL_DATABASE_POOLER applies to PostgreSQL only")
        if self.database_pool_size < 1:
            raise ConfigurationError("RECALL_DATABASE_POOL_SIZE must be at least 1")
        delivery = self.delivery
        if delivery.attempts < 1 or delivery.concurrency < 1 or delivery.notices_per_job < 1:
            raise ConfigurationError(
                "RECALL_DELIVERY_ATTEMPTS, RECALL_DELIVERY_CONCURRENCY and RECALL_NOTICES_PER_JOB "
                "must be at least 1"
            )
        if delivery.job_timeout_seconds < 5:
            raise ConfigurationError("RECALL_JOB_TIMEOUT_SECONDS must be at least 5")
        from recall.regulatory import PROFILE_NAMES, country_code

        for name, networks in (
            ("WEBHOOK_ALLOWED_NETWORKS", self.webhook_allowed_networks),
            ("TRUSTED_PROXIES", self.trusted_proxies),
        ):
            for network in networks:
                try:
                    ipaddress.ip_network(network, strict=False)
                except ValueError:
                    raise ConfigurationError(
                        f"RECALL_{name}: {network!r} is not a network (e.g. 10.0.0.0/8)"
                    ) from None
        if country_code(self.plant_country) != self.plant_country:
            raise ConfigurationError(
                f"RECALL_PLANT_COUNTRY: {self.plant_country!r} is not an ISO 3166 alpha-2 "
                "country code (e.g. ID)"
            )
        if self.attachment_max_mb < 1:
            raise ConfigurationError("RECALL_ATTACHMENT_MAX_MB must be at least 1")
        if not self.attachment_store_url.startswith(("file:///", "s3://")):
            raise ConfigurationError(
                "RECALL_ATTACHMENT_STORE must be file:///absolute/path or s3://bucket/prefix"
            )
        unknown = sorted(set(self.complaint_profiles) - set(PROFILE_NAMES))
        if unknown:
            raise ConfigurationError(
                f"RECALL_COMPLAINT_PROFILES: unknown {', '.join(unknown)}; "
                f"use some of {', '.join(PROFILE_NAMES)}"
            )


def _env(name: str, default: str) -> str:
    return os.environ.get(f"RECALL_{name}", default)


def _env_int(name: str, default: int) -> int:
    from recall.errors import ConfigurationError

    raw = _env(name, str(default))
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError(f"RECALL_{name} must be a whole number, not {raw!r}") from None


def _env_float(name: str, default: float) -> float:
    from recall.errors import ConfigurationError

    raw = _env(name, str(default))
    try:
        return float(raw)
    except ValueError:
        raise ConfigurationError(f"RECALL_{name} must be a number, not {raw!r}") from None


def _fractions(name: str, default: str) -> tuple[float, ...]:
    from recall.errors import ConfigurationError

    raw = _env(name, default)
    try:
        values = tuple(sorted(float(item) for item in raw.split(",") if item.strip()))
    except ValueError:
        values = (-1.0,)
    if any(not 0 < value < 1 for value in values):
        raise ConfigurationError(
            f"RECALL_{name} must be comma-separated fractions between 0 and 1, not {raw!r}"
        )
    return values


def _env_list(name: str, default: str) -> tuple[str, ...]:
    return tuple(item.strip().lower() for item in _env(name, default).split(",") if item.strip())


def _env_keys(name: str) -> tuple[str, ...]:
    # Keys are case-sensitive: unlike _env_list, nothing is lower-cased.
    return tuple(item.strip() for item in _env(name, "").split(",") if item.strip())


def load_settings() -> Settings:
    """Build Settings from the environment, without caching."""
    data_dir = Path(_env("DATA_DIR", ".recall"))
    port = _env_int("PORT", 8000)
    return Settings(
        database_url=_env("DATABASE_URL", f"sqlite:///{data_dir / 'recall.sqlite3'}"),
        database_pooler=_env("DATABASE_POOLER", "").strip().lower() or "none",
        database_pool_size=_env_int("DATABASE_POOL_SIZE", 20),
        redis_url=_env("REDIS_URL", "redis://127.0.0.1:6379/0"),
        secret_key=_env("SECRET_KEY", DEFAULT_SECRET_KEY),
        mode=_env("MODE", "production"),
        host=_env("HOST", "127.0.0.1"),
        port=port,
        public_url=_env("PUBLIC_URL", f"http://127.0.0.1:{port}").rstrip("/"),
        data_dir=data_dir,
        time_zone=_env("TIME_ZONE", "Asia/Jakarta"),
        token_ttl_minutes=_env_int("TOKEN_TTL_MINUTES", 12 * 60),
        login_attempts_per_minute=_env_int("LOGIN_ATTEMPTS_PER_MINUTE", 10),
        smtp=Smtp(
            host=_env("SMTP_HOST", ""),
            port=_env_int("SMTP_PORT", 587),
            username=_env("SMTP_USERNAME", ""),
            password=_env("SMTP_PASSWORD", ""),
            sender=_env("SMTP_SENDER", "recall@localhost"),
            starttls=_env("SMTP_STARTTLS", "true").lower() in {"1", "true", "yes"},
        ),
        complaint_profiles=_env_list("COMPLAINT_PROFILES", "bpom"),
        plant_country=_env("PLANT_COUNTRY", "ID").strip().upper(),
        company_name=_env("COMPANY_NAME", "").strip(),
        company_address=_env("COMPANY_ADDRESS", "").strip(),
        company_city=_env("COMPANY_CITY", "").strip(),
        qa_alert_email=_env("QA_ALERT_EMAIL", ""),
        delivery=Delivery(
            attempts=_env_int("DELIVERY_ATTEMPTS", 8),
            retry_base_seconds=_env_float("RETRY_BASE_SECONDS", 5.0),
            retry_max_seconds=_env_float("RETRY_MAX_SECONDS", 1800.0),
            webhook_timeout_seconds=_env_float("WEBHOOK_TIMEOUT_SECONDS", 10.0),
            concurrency=_env_int("DELIVERY_CONCURRENCY", 500),
            notices_per_job=_env_int("NOTICES_PER_JOB", 200),
            job_timeout_seconds=_env_int("JOB_TIMEOUT_SECONDS", 120),
            reminder_fractions=_fractions("REMINDER_FRACTIONS", "0.5,0.8"),
        ),
        previous_secret_keys=_env_keys("PREVIOUS_SECRET_KEYS"),
        webhook_allowed_networks=_env_list("WEBHOOK_ALLOWED_NETWORKS", ""),
        trusted_proxies=_env_list("TRUSTED_PROXIES", ""),
        metrics_token=_env("METRICS_TOKEN", ""),
        audit_checkpoint_dir=Path(
            _env("AUDIT_CHECKPOINT_DIR", str(data_dir / "audit-checkpoints"))
        ),
        attachment_max_mb=_env_int("ATTACHMENT_MAX_MB", 25),
        attachment_store=_env("ATTACHMENT_STORE", "").strip(),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
