"""ThreatCluster settings: one module, read from the environment.

With nothing set, the project runs on embedded defaults so that a new user needs nothing installed:
a SQLite file in the project, an in-process cache, Celery tasks run eagerly. Production sets
``DATABASE_URL`` (PostgreSQL), ``REDIS_URL`` (cache, rate limits, Celery broker and results),
``SECRET_KEY`` and ``ALLOWED_HOSTS``. See ``.env.example`` for every variable.
"""

from __future__ import annotations

import sys
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Running under pytest or `manage.py test`: the test runner forces DEBUG off itself.
TESTING = env.bool("TESTING", default="pytest" in sys.modules or sys.argv[1:2] == ["test"])
DEBUG = env.bool("DEBUG", default=False)

_DEV_SECRET_KEY = "django-insecure-dev-only-never-in-production-0c1f9e"  # noqa: S105 - development only, refused outside DEBUG
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (or .env) for any non-DEBUG run."
        )
    SECRET_KEY = _DEV_SECRET_KEY

_LOCAL_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=_LOCAL_HOSTS if (DEBUG or TESTING) else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The URL this site is reached at, for links in feeds, MISP and STIX (e.g. https://cti.example.org).
# Empty: built from each request.
SITE_URL = env.str("SITE_URL", default="").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "apikeys",
    "iocs",
    "iocs.feeds",
    "threats",
    "misp_feed",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "threatcluster.urls"
WSGI_APPLICATION = "threatcluster.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

#
# Database
#
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.postgresql":
    # Persistent connections, checked before reuse so a restarted PostgreSQL costs no 500; the
    # check looks at the socket instead of sending SELECT 1 (threatcluster/db/postgresql/base.py).
    _db["ENGINE"] = "threatcluster.db.postgresql"
    _db.setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
    _db["CONN_HEALTH_CHECKS"] = True
    # Feeds stream with server-side cursors; pgbouncer in transaction mode cannot keep them.
    _db["DISABLE_SERVER_SIDE_CURSORS"] = env.bool("DB_DISABLE_SERVER_SIDE_CURSORS", default=False)
elif _db["ENGINE"] == "django.db.backends.sqlite3":
    _db.setdefault("OPTIONS", {}).update({"timeout": 20})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

#
# Cache, rate limits and Celery: Redis when REDIS_URL is set, in-process otherwise
#
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "tc",
            "OPTIONS": {
                "CLIENT_CLASS": "threatcluster.cache.PrefixScopedClient",  # clear() spares the broker
                # Redis down: cache misses and a log line, never a 500 (feeds and lookups still answer).
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
            },
        }
    }
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    DJANGO_REDIS_LOGGER = "threatcluster.cache"  # one concise line per 10 s, not a traceback per call
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "threatcluster"}}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL or "cache+memory://")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# A task whose whole worker died (SIGKILL, lost host) is handed to another worker once this many
# seconds have passed since it was taken; it must exceed the longest task (CELERY_TASK_TIME_LIMIT),
# or a slow task would run twice (harmless: tasks are idempotent, but wasted). Kombu's default.
# Workers look for such abandoned tasks every interval x throttle seconds (kombu's defaults: 10 x 10).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    "unacked_restore_interval": env.int("CELERY_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": env.int("CELERY_RESTORE_THROTTLE", default=10),
}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_MAX_TASKS_PER_CHILD = 500
CELERY_WORKER_MAX_MEMORY_PER_CHILD = 400_000  # KiB
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict = {
    # Every minute: one poll task per enabled feed source whose own interval (and back-off) has passed.
    "poll-due-sources": {"task": "threats.tasks.poll_due_sources", "schedule": 60.0},
    # Every 5 minutes: the classifier rules on whatever is still pending (new IOCs are classified per
    # article batch as they arrive; this catches the rest and restarts after an outage).
    "classify-pending-iocs": {"task": "iocs.classify_pending", "schedule": 300.0},
    # Daily: threat scores lose recency points as reports age.
    "rescore-recent-threats": {"task": "threats.tasks.rescore_recent_threats", "schedule": 24 * 3600.0},
    # Feeds: verify the default datasets (feed/status.json) and pre-build the public blocklists, well
    # inside their 15-minute cache period, so no public download waits for a full query.
    "feeds-refresh": {"task": "iocs.feeds.tasks.refresh_feeds", "schedule": 300.0},
    # Pages: the /iocs counts and 30-day chart recomputed ahead of their 120 s freshness, so no
    # analyst's page view pays for the aggregate queries at 1,000,000 IOCs.
    "pages-aggregates": {"task": "iocs.refresh_page_aggregates", "schedule": 60.0},
    # Feeds: drop artifacts unused for a day and removal-log entries older than any window.
    "feeds-prune": {"task": "iocs.feeds.tasks.prune_feeds", "schedule": 3600.0},
}

# Requests per window, per group of endpoints and per tier ("N/s", "N/m", "N/h", "N/d"); the bucket
# is the credential (per IP for anonymous callers). Override one cell with an environment variable
# such as RATE_LIMIT_FEEDS_PUBLIC=30/m.
RATE_LIMITS = {
    # lookups, per-threat endpoints, pages' API calls
    "default": {"public": "60/m", "researcher": "300/m", "business": "1200/m", "enterprise": "6000/m"},
    # full feeds (txt/csv/json/stix of every confirmed IOC)
    "feeds": {"public": "30/h", "researcher": "60/h", "business": "240/h", "enterprise": "1200/h"},
    # downloadable exports
    "exports": {"public": "10/h", "researcher": "30/h", "business": "120/h", "enterprise": "600/h"},
    # MISP and TAXII pollers
    "misp": {"public": "120/h", "researcher": "600/h", "business": "2400/h", "enterprise": "12000/h"},
}
for _group, _table in RATE_LIMITS.items():
    for _tier in _table:
        _table[_tier] = env.str(f"RATE_LIMIT_{_group.upper()}_{_tier.upper()}", default=_table[_tier])

# The widest time window (days) each tier may ask of the feeds and exports (hours/days/since).
FEED_WINDOW_CAPS_DAYS = {"public": 30, "researcher": 90, "business": 365, "enterprise": 3650}

# django-ratelimit counts in the shared cache; if the cache fails, let the request through.
RATELIMIT_USE_CACHE = "default"
RATELIMIT_FAIL_OPEN = True
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=True)
# Sign-in attempts (POST /login, /admin/login/) per client address (apikeys.sign_in_limits).
# The test suite signs in from one address many times a minute; tests/test_sign_in_rate_limit.py sets its own.
LOGIN_RATE_LIMIT = env.str("LOGIN_RATE_LIMIT", default="10000/m" if TESTING else "10/m")

#
# Auth, sessions, security
#
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:  # fast hashing in tests only
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "/login"
LOGIN_REDIRECT_URL = "/iocs"

# Secret mixed into API key and feed token digests (HMAC). Defaults to SECRET_KEY; rotating it
# invalidates every key, so production may pin it separately.
APIKEY_PEPPER = env.str("APIKEY_PEPPER", default=SECRET_KEY)

_secure_default = not (DEBUG or TESTING)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=_secure_default)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=_secure_default)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=_secure_default)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if _secure_default else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=_secure_default)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Preloading is a permanent, per-domain commitment the operator makes, not a default we can take.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env.bool("USE_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Number of reverse proxies in front of gunicorn whose X-Forwarded-For we trust for client IPs.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

#
# Internationalisation and time: UTC everywhere
#
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

#
# Static files (served by WhiteNoise under gunicorn; no external CDN)
#
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not (DEBUG or TESTING)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Where Celery tasks write pre-built feed artifacts (public feeds, MISP mirror).
FEED_ARTIFACT_DIR = env.path("FEED_ARTIFACT_DIR", default=BASE_DIR / "var" / "feeds")
# The MISP feeds (/misp/, /api/misp/) are built live and their bytes cached this long: a MISP feed
# file is never staler than this many seconds. 0 turns the cache off.
MISP_FEED_CACHE_SECONDS = env.int("MISP_FEED_CACHE_SECONDS", default=300)
# The feeds' default CSV bodies kept in PostgreSQL per block of 512 IOC ids, compressed, and
# re-rendered only where a committed change touched them (iocs/feeds/segments/). Off: every first
# caller of a generation waits for the whole body to be rendered (7 s at 1,000,000 IOCs).
FEED_SEGMENTS = env.bool("FEED_SEGMENTS", default=True)
# Connections that render a CSV body's stale blocks together when there are many (a cold body):
# PostgreSQL renders on as many cores, for the length of that body.
FEED_RENDER_CONNECTIONS = env.int("FEED_RENDER_CONNECTIONS", default=2)
# Lookup answers each web process remembers, counted in rows (an IOC or one of its clusters; 20,000
# rows took 12.8 MB, bench/RESULTS.md), each forgotten when PostgreSQL notifies a committed change to
# what it shows (iocs/lookup/memo.py). 0 turns the memo off. SQLite never keeps one.
LOOKUP_MEMO_ROWS = env.int("LOOKUP_MEMO_ROWS", default=20_000)

#
# REST framework and OpenAPI
#
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "apikeys.negotiation.QuickNegotiation",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "apikeys.schema.TCAutoSchema",
    "EXCEPTION_HANDLER": "apikeys.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ThreatCluster API",
    "DESCRIPTION": (
        "IOC feeds, per-incident exports, reverse lookup and MISP feeds.\n\n"
        "Authentication: anonymous (public tier), a feed token (`?token=` or `Authorization: Token …`, "
        "Researcher tier and above) or an API key (`X-API-Key: tc_…`, Business tier and above, with scopes). "
        "Errors are JSON: `{\"error\": code, \"detail\": message}`; rate-limited responses carry "
        "`X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset`, and a 429 carries `Retry-After`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The documentation UI is served from this site (drf-spectacular-sidecar), never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

#
# ThreatCluster
#
# TLP given to threats (and their IOCs) when the source says nothing: clear, green, amber,
# amber+strict or red.
TLP_DEFAULT = env.str("TLP_DEFAULT", default="clear").lower()
if TLP_DEFAULT not in {"clear", "green", "amber", "amber+strict", "red"}:
    raise ImproperlyConfigured(f"TLP_DEFAULT={TLP_DEFAULT!r}: use clear, green, amber, amber+strict or red")
# The publishing organisation, as MISP's Orgc and STIX's Identity.
ORG_NAME = env.str("ORG_NAME", default="ThreatCluster")
ORG_UUID = env.str("ORG_UUID", default="5c3b8e2a-1f0d-4a57-9d43-7c6b2f1e8a90")
FEED_LICENSE = env.str(
    "FEED_LICENSE",
    default="CC BY 4.0 - provided as is, without warranty; verify before blocking.",
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {"concise_cache_errors": {"()": "threatcluster.log_filters.ConciseCacheErrors"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django_redis": {"level": "WARNING"},
        "threatcluster.cache": {"level": "WARNING", "filters": ["concise_cache_errors"]},
    },
}
