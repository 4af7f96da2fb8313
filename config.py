"""Configuration classes, read from the environment.

`create_app()` picks one from FIELDBOOK_ENV (development, test, production);
tests pass `TestConfig` explicitly.
"""

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _normalise_db_url(url: str) -> str:
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants an explicit driver.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    SQLALCHEMY_DATABASE_URI = _normalise_db_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'fieldbook.db'}")
    )
    # A pooled connection the database dropped (a restart, a failover) is noticed and
    # replaced before use, so the first request after it does not fail.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    # A streaming replica for the heavy reads (the console's dashboards, the indicators,
    # review exports: server/replica.py, docs/deploy.md). Unset, they read the primary.
    SQLALCHEMY_BINDS: dict = (
        {"replica": _normalise_db_url(os.environ["DATABASE_REPLICA_URL"])}
        if os.environ.get("DATABASE_REPLICA_URL")
        else {}
    )

    # Sessions: the phone stays signed in across days offline, so "remember me"
    # lasts weeks; every signed-in device also has a server-side record (auth/models.py).
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_IDLE_TIMEOUT = timedelta(hours=12)
    SESSION_REMEMBER_TIMEOUT = timedelta(days=30)
    # However much a device slides its idle expiry, it signs in again after this long.
    SESSION_MAX_AGE = timedelta(days=1)
    SESSION_REMEMBER_MAX_AGE = timedelta(days=90)

    # Sign-in protection (auth/throttle.py, auth/services.py). Throttles count refused
    # attempts only, per submitted username and per client address; the storage is
    # Redis when there is one, so every gunicorn worker sees the same counts.
    RATELIMIT_STORAGE_URI = (
        os.environ.get("RATELIMIT_STORAGE_URI") or os.environ.get("REDIS_URL") or "memory://"
    )
    RATELIMIT_KEY_PREFIX = "fieldbook-limits"
    # Redis unreachable: each worker counts in its own memory meanwhile (still throttled,
    # and sign-in keeps working) and goes back to Redis once it answers again.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    LOGIN_LIMIT_PER_ACCOUNT = "5 per minute; 30 per hour"
    LOGIN_LIMIT_PER_ADDRESS = "30 per minute; 300 per hour"
    # Consecutive wrong passwords that lock an account, and for how long; every further
    # failure after the lock runs out locks it again, until a right password or an admin.
    LOGIN_LOCKOUT_THRESHOLD = 10
    LOGIN_LOCKOUT_DURATION = timedelta(minutes=15)
    PASSWORD_MIN_LENGTH = 10
    # Behind a reverse proxy: how many proxies set X-Forwarded-For/-Proto (werkzeug's
    # ProxyFix). 0 trusts no header: the client address is the socket's peer.
    PROXY_HOPS = int(os.environ.get("FIELDBOOK_PROXY_HOPS", "0"))

    # Business settings that are configuration, not code.
    PORTFOLIO_CAPACITY = int(os.environ.get("FIELDBOOK_PORTFOLIO_CAPACITY", "500"))
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024  # CSV imports of a whole branch fit easily.
    # Deeper JSON bodies are refused before parsing (server/http.py); a sync push nests 5.
    JSON_MAX_DEPTH = 32

    # Browser protections on every answer (server/http.py). Scripts, styles, workers and
    # the manifest come from this origin only: no inline script or style, no plugin, no
    # <base>, no framing by another site. Preact and ECharts set styles through the
    # CSSOM, which the policy allows; the e2e tests fail on any refusal.
    CONTENT_SECURITY_POLICY = "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "worker-src 'self'",
            "manifest-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )
    REFERRER_POLICY = "no-referrer"
    # Strict-Transport-Security: production only (a development server speaks plain HTTP).
    HSTS: str | None = None
    IMPORT_MAX_ROWS = 200_000

    # The operator's local time zone: due dates, birthdays and "today" are local.
    TIMEZONE = os.environ.get("FIELDBOOK_TIMEZONE", "Asia/Shanghai")
    # A phone's reported time older than this is kept but flagged.
    CLIENT_TIME_MAX_AGE = timedelta(days=14)

    # Care plan generation (plans/services.py).
    PLAN_HORIZON_DAYS = 30  # generate what falls due within this many days
    CONTRACT_EXPIRY_LEAD_DAYS = 30
    WELCOME_WITHIN_DAYS = 3
    INTRODUCTION_CHECK_DAYS = (7, 30)  # a check between these days after activation
    BIRTHDAY_LEAD_DAYS = 3  # greet within [birthday - 3 days, birthday]
    HOLIDAY_LEAD_DAYS = 5
    # holidays.China names; greeted with a care contact.
    CARE_HOLIDAYS = ("Chinese New Year (Spring Festival)", "Mid-Autumn Festival", "National Day")

    # Visit check-in (visits/services.py): a fix worse than these is "unverified";
    # farther than VISIT_MAX_DISTANCE_M from the customer's known place is "out of
    # range". An unknown place is learned from a fix within the LEARN limits.
    VISIT_MAX_ACCURACY_M = 200
    VISIT_MAX_LOCATION_AGE_S = 300
    VISIT_MAX_DISTANCE_M = 500
    VISIT_LEARN_MAX_ACCURACY_M = 100
    VISIT_LEARN_MAX_LOCATION_AGE_S = 120

    # Complaint deadlines: the tier's response hours times the severity's factor.
    COMPLAINT_SEVERITY_FACTORS = {"critical": 0.5, "high": 1.0, "medium": 2.0, "low": 4.0}
    COMPLAINT_DUE_SOON_HOURS = 24

    # Churn warning rules (DOMAIN.md): against the mean of the previous months.
    WARNING_SERVICE_DROP_PCT = 20
    WARNING_TOTAL_DROP_PCT = 10
    WARNING_REFERENCE_MONTHS = 3
    WARNING_COMPLAINTS_COUNT = 2
    WARNING_COMPLAINTS_DAYS = 30

    # Churn prediction (docs/churn.md): a customer "left" when gone within this many
    # months after a month; the last CHURN_TEST_MONTHS labelled months test a run; each
    # manager is given at most this many model warnings a month; a segment (individual,
    # organisation) gets its own model with at least these many rows and leavers.
    CHURN_WINDOW_MONTHS = 1
    CHURN_TEST_MONTHS = 3
    CHURN_WARNINGS_PER_MANAGER = 10
    CHURN_SEGMENT_MIN_ROWS = 2000
    CHURN_SEGMENT_MIN_LEAVERS = 100
    # The tier group of a finer segment ("individual/top"; the others are "/rest").
    CHURN_TOP_TIERS = ("diamond", "emerald", "platinum")
    # Training rows beyond this are a weighted sample of the stayers (all leavers kept).
    CHURN_MAX_TRAINING_ROWS = 1_000_000

    # Compressed JSON (Flask-Compress): a first pull of a portfolio shrinks ~10x.
    COMPRESS_MIMETYPES = [
        "application/json",
        "text/csv",
        "text/html",
        "text/css",
        "application/javascript",
        "text/javascript",
        "application/manifest+json",
    ]
    COMPRESS_ALGORITHM = ["gzip"]
    COMPRESS_MIN_SIZE = 1024

    # Sync: tombstones older than this are purged; older cursors get reset_required.
    SYNC_TOMBSTONE_RETENTION = timedelta(days=90)
    # How many months of spend a device keeps.
    SYNC_SPEND_MONTHS = 12

    # The built phone client (server/webclient.py serves it at /).
    WEBCLIENT_DIST = os.environ.get(
        "FIELDBOOK_WEBCLIENT_DIST", str(BASE_DIR / "webclient" / "dist")
    )

    # Background jobs (server/jobs/): RQ on Redis when REDIS_URL is set; without it
    # (the demo) a job runs in the web process after the request that asked for it.
    REDIS_URL = os.environ.get("REDIS_URL") or None
    JOB_QUEUE = os.environ.get("FIELDBOOK_JOB_QUEUE", "fieldbook")
    JOB_TIMEOUT_S = 3600
    JOB_FILES_DIR = os.environ.get("FIELDBOOK_JOB_FILES", str(INSTANCE_DIR / "jobs"))

    # Photos of visits (server/photos/, docs/photos.md). PHOTO_STORE: "local" keeps the
    # files under PHOTO_DIR (the demo, one machine); "s3" in an S3-compatible bucket
    # (a cluster), through boto3; without keys, boto3's own chain (AWS_* variables, a role).
    PHOTO_STORE = os.environ.get("PHOTO_STORE", "local")
    PHOTO_DIR = os.environ.get("PHOTO_DIR", str(INSTANCE_DIR / "photos"))
    PHOTO_S3_ENDPOINT_URL = os.environ.get("PHOTO_S3_ENDPOINT_URL") or None
    PHOTO_S3_BUCKET = os.environ.get("PHOTO_S3_BUCKET", "")
    PHOTO_S3_REGION = os.environ.get("PHOTO_S3_REGION", "us-east-1")
    PHOTO_S3_ACCESS_KEY_ID = os.environ.get("PHOTO_S3_ACCESS_KEY_ID") or None
    PHOTO_S3_SECRET_ACCESS_KEY = os.environ.get("PHOTO_S3_SECRET_ACCESS_KEY") or None
    PHOTO_MAX_BYTES = 10 * 1024 * 1024
    PHOTO_MAX_PER_VISIT = 10
    # Checked before decoding: a small file may claim a huge canvas.
    PHOTO_MAX_PIXELS = 40_000_000
    # The stored image's long side (the phone sends about 1,600 px) and the thumbnail's.
    PHOTO_LONG_SIDE = 1600
    PHOTO_THUMBNAIL_SIDE = 320

    # OpenAPI (flask-smorest)
    API_TITLE = "Fieldbook API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"

    TESTING = False


class DevelopmentConfig(Config):
    DEBUG = False


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    # TEST_DATABASE_URL lets CI point the same suite at PostgreSQL.
    SQLALCHEMY_DATABASE_URI = _normalise_db_url(
        os.environ.get("TEST_DATABASE_URL", "sqlite:///:memory:")
    )
    # No replica unless a test configures one (tests/test_replica.py).
    SQLALCHEMY_BINDS: dict = {}
    # The real queue on the machine's Redis; a queue of this run's own.
    REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    JOB_QUEUE = f"fieldbook-test-{os.getpid()}"
    JOB_FILES_DIR = str(INSTANCE_DIR / "test-jobs" / str(os.getpid()))
    PHOTO_STORE = "local"
    PHOTO_DIR = str(INSTANCE_DIR / "test-photos" / str(os.getpid()))
    # Cheap hashing keeps the suite fast; production uses argon2's defaults.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    # Throttle counters in memory by default; tests of the Redis storage set their own.
    RATELIMIT_STORAGE_URI = "memory://"


# 32 characters: the 128 bits of `secrets.token_hex(16)`, the least a forger must guess.
SECRET_KEY_MIN_LENGTH = 32


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    HSTS = "max-age=31536000; includeSubDomains"
    # `__Host-`: the browser keeps such a cookie only if it is Secure, for Path=/ and
    # without Domain, so no sibling subdomain or plain-HTTP page can plant or read it.
    SESSION_COOKIE_NAME = "__Host-fieldbook_session"
    REMEMBER_COOKIE_NAME = "__Host-fieldbook_remember"
    SESSION_COOKIE_PATH = "/"
    REMEMBER_COOKIE_PATH = "/"
    SESSION_COOKIE_DOMAIN = None
    REMEMBER_COOKIE_DOMAIN = None

    @classmethod
    def check(cls) -> None:
        missing = [
            name for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL") if not os.environ.get(name)
        ]
        if missing:
            names = (
                ", ".join(missing[:-1]) + " and " + missing[-1] if len(missing) > 1 else missing[0]
            )
            raise SystemExit(f"Fieldbook refuses to start in production: set {names}.")
        secret = os.environ["SECRET_KEY"]
        if len(secret) < SECRET_KEY_MIN_LENGTH or "change-me" in secret:
            # Whoever knows it can forge anyone's session cookie: the example's
            # placeholder, or a word, is no secret.
            raise SystemExit(
                "Fieldbook refuses to start in production: SECRET_KEY must be a random value"
                f" of at least {SECRET_KEY_MIN_LENGTH} characters"
                ' (python3 -c "import secrets; print(secrets.token_hex(32))").'
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}
