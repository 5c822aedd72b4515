"""Settings for development, test and production, with environment overrides."""

import os
from collections.abc import Mapping
from datetime import timedelta
from urllib.parse import urlsplit

_WEAK_SECRETS = {"", "dev", "change-me", "dev-only-secret-key"}


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    # None: a random key made on first start in the instance folder (instance/secret_key) and
    # kept there, so no two installations share a key. Production requires one from the environment.
    SECRET_KEY = os.environ.get("SECRET_KEY") or None
    # None means "SQLite in the instance folder"; the app factory fills it in.
    DATABASE_URL = os.environ.get("DATABASE_URL")
    SQL_ECHO = _env_bool("SQL_ECHO", False)
    # How long a request waits for a lock: SQLite's busy timeout, PostgreSQL's lock_timeout.
    LOCK_TIMEOUT_MS = int(os.environ.get("LOCK_TIMEOUT_MS", "5000"))
    # PostgreSQL connections kept per process (twice as many more may open under load).
    DB_POOL_SIZE = int(os.environ.get("DB_POOL_SIZE", "10"))

    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", str(2 * 1024 * 1024)))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    # A page login lasts at most SESSION_ABSOLUTE_DAYS, and ends sooner after SESSION_IDLE_DAYS
    # unused: residents inside WeChat should not have to log in every day. Each login is a row
    # on the server (login_sessions), so logging out or a new password ends it everywhere.
    SESSION_ABSOLUTE_DAYS = int(os.environ.get("SESSION_ABSOLUTE_DAYS", "30"))
    SESSION_IDLE_DAYS = int(os.environ.get("SESSION_IDLE_DAYS", "7"))
    PERMANENT_SESSION_LIFETIME = timedelta(days=SESSION_ABSOLUTE_DAYS)
    # A login session's last use is written at most this often, not on every request.
    SESSION_TOUCH_SECONDS = int(os.environ.get("SESSION_TOUCH_SECONDS", "300"))
    # Sensitive staff actions ask for the password again when it was last typed longer ago.
    REAUTH_HOURS = int(os.environ.get("REAUTH_HOURS", "12"))
    # Ended login sessions are kept this long (they tell which devices an account knows).
    LOGIN_SESSIONS_KEEP_DAYS = int(os.environ.get("LOGIN_SESSIONS_KEEP_DAYS", "90"))
    WTF_CSRF_TIME_LIMIT = None

    API_TOKEN_HOURS = int(os.environ.get("API_TOKEN_HOURS", str(24 * 7)))
    # Failed logins are counted per (phone, client): this many lock that pair for
    # LOGIN_LOCK_MINUTES, doubling with each further lock up to LOGIN_LOCK_MAX_MINUTES.
    LOGIN_MAX_FAILURES = int(os.environ.get("LOGIN_MAX_FAILURES", "5"))
    LOGIN_LOCK_MINUTES = int(os.environ.get("LOGIN_LOCK_MINUTES", "15"))
    LOGIN_LOCK_MAX_MINUTES = int(os.environ.get("LOGIN_LOCK_MAX_MINUTES", str(24 * 60)))
    # Changing or confirming one's password checks the current one: limited per token (API) and per account.
    PASSWORD_RATE_LIMIT_TOKEN = os.environ.get("PASSWORD_RATE_LIMIT_TOKEN", "5 per minute")
    PASSWORD_RATE_LIMIT_ACCOUNT = os.environ.get("PASSWORD_RATE_LIMIT_ACCOUNT", "10 per hour")
    # Shared state of several workers (rate limits): Redis when REDIS_URL is set, else each
    # process keeps its own in memory (fine for one process, as in development).
    REDIS_URL = os.environ.get("REDIS_URL") or None
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or REDIS_URL or "memory://"
    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT_ADDRESS = os.environ.get("LOGIN_RATE_LIMIT_ADDRESS", "30 per minute")
    LOGIN_RATE_LIMIT_ACCOUNT = os.environ.get("LOGIN_RATE_LIMIT_ACCOUNT", "10 per minute")
    # Asking for help (点单) per person: also bounds probing phones through the form.
    HELP_RATE_LIMIT = os.environ.get("HELP_RATE_LIMIT", "20 per minute")

    TIMEZONE = "Asia/Shanghai"
    # Behind a reverse proxy: how many proxies set X-Forwarded-For/-Proto, so rate limits
    # and the audit log see the client's address rather than the proxy's.
    PROXY_HOPS = int(os.environ.get("PROXY_HOPS", "0"))

    # flask-smorest / OpenAPI
    API_TITLE = "红松分 API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    # The docs page (/api/v1/docs) and its assets are served by points/api_docs.py, never from
    # a CDN; off, they answer 404 (the OpenAPI document stays).
    API_DOCS_ENABLED = _env_bool("API_DOCS_ENABLED", True)

    # Independence (maker–checker): staff who created, edited, reset, unlocked or gave a role
    # to an account, and that account, check nothing of each other's for this many days.
    INDEPENDENCE_DAYS = int(os.environ.get("INDEPENDENCE_DAYS", "90"))

    # Ledger policy.
    LEDGER_AUTO_POST_MAX = int(os.environ.get("LEDGER_AUTO_POST_MAX", "20"))
    # How long a request's Idempotency-Key is remembered (a retry later than this moves points again).
    IDEMPOTENCY_KEEP_HOURS = int(os.environ.get("IDEMPOTENCY_KEEP_HOURS", "72"))
    # Star rating (星级): the year's 红松分 needed for one star, two, … five.
    STAR_BANDS = os.environ.get("STAR_BANDS", "20,50,100,160,240")
    # Evaluation: the star scheme, "bands" (STAR_BANDS) or "hundred" (base 60, additions from
    # 红松分, deductions; 60–69 one star … 96+ five), with per-district choices "district_id:scheme,…".
    EVALUATION_STAR_SCHEME = os.environ.get("EVALUATION_STAR_SCHEME", "bands")
    EVALUATION_DISTRICT_SCHEMES = os.environ.get("EVALUATION_DISTRICT_SCHEMES", "")
    # The hundred-point scheme: this many yearly 红松分 add one point, at most 40 points in all.
    EVALUATION_POINTS_PER_SCORE = int(os.environ.get("EVALUATION_POINTS_PER_SCORE", "5"))
    # How many days a period's scores stay in public notice (公示) before they may be frozen.
    EVALUATION_NOTICE_DAYS = int(os.environ.get("EVALUATION_NOTICE_DAYS", "7"))
    # Kinds whose unspent points expire at the annual settlement ("" for none, e.g. "xingan"),
    # and how many accounts one posting batch carries.
    EVALUATION_EXPIRING_KINDS = os.environ.get("EVALUATION_EXPIRING_KINDS", "")
    EVALUATION_SETTLEMENT_BATCH = int(os.environ.get("EVALUATION_SETTLEMENT_BATCH", "500"))

    # QR check-in at stations.
    # Where phones reach the service, for the URLs inside QR codes; None: the request's own host
    # (development only: production refuses to start without it).
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL") or None
    # The station screen's code changes this often; a code is good for its window and the one before.
    CHECKIN_WINDOW_SECONDS = int(os.environ.get("CHECKIN_WINDOW_SECONDS", "30"))
    # A second scan within this time is a no-op ("already checked in"), never a check-out.
    CHECKIN_REPEAT_SECONDS = int(os.environ.get("CHECKIN_REPEAT_SECONDS", "300"))
    # How long a scan survives a detour through the login page.
    CHECKIN_INTENT_SECONDS = int(os.environ.get("CHECKIN_INTENT_SECONDS", "600"))
    # Check-in opens this long before an activity starts; check-out stays open this long after it ends.
    CHECKIN_EARLY_MINUTES = int(os.environ.get("CHECKIN_EARLY_MINUTES", "30"))
    CHECKIN_CHECKOUT_GRACE_MINUTES = int(os.environ.get("CHECKIN_CHECKOUT_GRACE_MINUTES", "30"))
    # Duration points per person, kind and local day, over all activities (an activity may cap lower).
    CHECKIN_DAILY_CAP = int(os.environ.get("CHECKIN_DAILY_CAP", "40"))
    # Most points one activity posts without approval; later stays wait in the approval queue.
    CHECKIN_ACTIVITY_AUTO_POST_CAP = int(os.environ.get("CHECKIN_ACTIVITY_AUTO_POST_CAP", "400"))
    # Check-ins still open when an activity ends: "credit_until_end" or "no_credit".
    CHECKIN_MISSING_CHECKOUT_RULE = os.environ.get("CHECKIN_MISSING_CHECKOUT_RULE", "credit_until_end")
    # Scans per person (or per code when not logged in), and a loose limit per address:
    # a whole station's phones may share one address behind its Wi-Fi.
    CHECKIN_SCAN_RATE_LIMIT_PERSON = os.environ.get("CHECKIN_SCAN_RATE_LIMIT_PERSON", "20 per minute")
    # Before logging in, a station's crowd opens the same code: its limit is per code, and loose.
    CHECKIN_SCAN_RATE_LIMIT_CODE = os.environ.get("CHECKIN_SCAN_RATE_LIMIT_CODE", "600 per minute")
    CHECKIN_SCAN_RATE_LIMIT_ADDRESS = os.environ.get("CHECKIN_SCAN_RATE_LIMIT_ADDRESS", "1200 per minute")
    # How often the station screen asks for the code and the count.
    CHECKIN_SCREEN_POLL_SECONDS = int(os.environ.get("CHECKIN_SCREEN_POLL_SECONDS", "5"))

    # Who may read /metrics: a bearer token, else these client addresses.
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN") or None
    METRICS_ALLOW = os.environ.get("METRICS_ALLOW", "127.0.0.1,::1")
    # One JSON line per request (request id, person, endpoint, status, duration) in the log.
    LOG_JSON = _env_bool("LOG_JSON", False)
    # /ready also asks for a live scheduler (off where jobs run elsewhere).
    READY_NEEDS_SCHEDULER = _env_bool("READY_NEEDS_SCHEDULER", True)

    SCHEDULER_LEASE_SECONDS = int(os.environ.get("SCHEDULER_LEASE_SECONDS", "60"))
    # A scheduler that starts, or takes over from one that died, first runs every period of the
    # last this many hours that job_runs shows missing.
    SCHEDULER_CATCH_UP_HOURS = int(os.environ.get("SCHEDULER_CATCH_UP_HOURS", "48"))

    # The points store (积分超市).
    # Kinds of points the store takes, comma-separated: 兴安分 by default; add hongsong where a
    # district's policy lets 红松分 be redeemed.
    STORE_REDEEMABLE_KINDS = os.environ.get("STORE_REDEEMABLE_KINDS", "xingan")
    # A voucher not picked up within this many days expires and its points are refunded.
    STORE_VOUCHER_DAYS = int(os.environ.get("STORE_VOUCHER_DAYS", "30"))
    # Where uploaded photos are kept (store/ for items, demands/ for 点单); None: the instance
    # folder's media.
    MEDIA_FOLDER = os.environ.get("MEDIA_FOLDER") or None
    # Largest photo upload (also bounded by MAX_CONTENT_LENGTH), and the longest side kept.
    PHOTO_MAX_BYTES = int(os.environ.get("PHOTO_MAX_BYTES", str(2 * 1024 * 1024)))
    PHOTO_MAX_SIDE = int(os.environ.get("PHOTO_MAX_SIDE", "1024"))

    # Anomaly flags: how many days back the nightly detectors look, and any of their thresholds
    # changed from the defaults in points/supervision/detectors/base.py (README: "Anomaly flags").
    SUPERVISION_WINDOW_DAYS = int(os.environ.get("SUPERVISION_WINDOW_DAYS", "30"))
    SUPERVISION_THRESHOLDS: dict = {}

    JOB_RUNS_KEEP_DAYS = 400
    # Registering oneself: the privacy notice's version (a new one asks everyone again at their
    # next page; the notice's text changes only with a new version), the notice's contact beyond
    # the community's service station (a phone or an address), and whether pages ask for
    # consent before anything else.
    PRIVACY_NOTICE_VERSION = os.environ.get("PRIVACY_NOTICE_VERSION", "2026-11-26")
    PRIVACY_CONTACT = os.environ.get("PRIVACY_CONTACT", "")
    CONSENT_REQUIRED_AT_LOGIN = _env_bool("CONSENT_REQUIRED_AT_LOGIN", True)
    # A class (`package.module:Class`) with `send_code(phone, code)` that sends SMS codes. Empty:
    # no code is asked, and staff confirm each self-registered account before it earns points.
    VERIFICATION_SENDER = os.environ.get("VERIFICATION_SENDER", "")
    VERIFICATION_CODE_MINUTES = int(os.environ.get("VERIFICATION_CODE_MINUTES", "10"))
    VERIFICATION_CODE_INTERVAL_SECONDS = int(os.environ.get("VERIFICATION_CODE_INTERVAL_SECONDS", "60"))
    REGISTER_RATE_LIMIT_ADDRESS = os.environ.get("REGISTER_RATE_LIMIT_ADDRESS", "20 per hour")
    REGISTER_RATE_LIMIT_PHONE = os.environ.get("REGISTER_RATE_LIMIT_PHONE", "5 per hour")
    # Roster imports: the file's size, what an xlsx may unpack to (zip bombs), and its rows.
    ROSTER_MAX_BYTES = int(os.environ.get("ROSTER_MAX_BYTES", str(2 * 1024 * 1024)))
    ROSTER_MAX_UNPACKED_BYTES = int(os.environ.get("ROSTER_MAX_UNPACKED_BYTES", str(30 * 1024 * 1024)))
    ROSTER_MAX_ROWS = int(os.environ.get("ROSTER_MAX_ROWS", "10000"))
    # The inbox: read notices are deleted after this many days (unread ones stay).
    NOTICES_KEEP_READ_DAYS = int(os.environ.get("NOTICES_KEEP_READ_DAYS", "90"))
    # Delivery beyond the app: a class (`package.module:Class`) with `send(notice)`; empty keeps
    # notices in the app. Notices older than NOTICES_DELIVER_HOURS are not sent any more.
    NOTICE_SENDER = os.environ.get("NOTICE_SENDER", "")
    NOTICES_DELIVER_HOURS = int(os.environ.get("NOTICES_DELIVER_HOURS", "24"))

    PROPAGATE_EXCEPTIONS = False


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    NOTICE_SENDER = os.environ.get("NOTICE_SENDER", "points.notices.senders:LoggingSender")
    VERIFICATION_SENDER = os.environ.get(
        "VERIFICATION_SENDER", "points.onboarding.codes:DevelopmentCodeSender"
    )


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    VERIFICATION_SENDER = "points.onboarding.codes:DevelopmentCodeSender"
    # Tests that are about consent turn the page guard on.
    CONSENT_REQUIRED_AT_LOGIN = False
    # Fast password hashing in tests; production keeps argon2's defaults.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    PROPAGATE_EXCEPTIONS = False


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)

    @staticmethod
    def check(config: Mapping) -> None:
        """Refuse to start on settings that are only good for development."""
        secret = config.get("SECRET_KEY") or ""
        if secret in _WEAK_SECRETS or len(secret) < 32:
            raise RuntimeError(
                "SECRET_KEY must be set to a random value of at least 32 characters in production"
            )
        if not config.get("DATABASE_URL"):
            raise RuntimeError("DATABASE_URL must be set in production")
        base = urlsplit(config.get("PUBLIC_BASE_URL") or "")
        if base.scheme not in ("http", "https") or not base.netloc or base.query or base.fragment:
            # Otherwise QR codes would carry whatever Host header a request came with.
            raise RuntimeError(
                "PUBLIC_BASE_URL must be set in production to where phones reach the service,"
                " e.g. https://points.example.cn"
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    return CONFIGS[os.environ.get("POINTS_ENV", "development")]
