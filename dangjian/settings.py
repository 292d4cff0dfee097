"""One settings module, read from the environment, with an embedded default.

Unset ``DATABASE_URL`` means a SQLite file under ``var/``; keys and the secret key are then
created once under ``var/`` too.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DANGJIAN_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


# ``development`` (the default: keys created under var/ when unset) or ``production``
# (refuses weak settings at start, ``deploy_checks``). A demonstration install is development
# with ``DANGJIAN_DEMO_MODE`` on (``dangjian demo`` sets it).
DANGJIAN_ENV = os.environ.get("DANGJIAN_ENV", "development").strip().lower() or "development"
if DANGJIAN_ENV not in ("development", "production"):
    raise ImproperlyConfigured(
        f"DANGJIAN_ENV 只能是 development 或 production，当前为“{DANGJIAN_ENV}”"
    )
PRODUCTION = DANGJIAN_ENV == "production"


def _secret_key() -> str:
    if key := os.environ.get("DJANGO_SECRET_KEY"):
        return key
    if key_file := os.environ.get("DJANGO_SECRET_KEY_FILE"):
        try:
            return Path(key_file).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(
                f"无法读取 DJANGO_SECRET_KEY_FILE（{key_file}）：{exc}"
            ) from exc
    if PRODUCTION:
        return ""  # refused below, named with the other weak settings
    path = VAR_DIR / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


def _audit_retention_months() -> int:
    raw = os.environ.get("DANGJIAN_AUDIT_RETENTION_MONTHS", "12").strip()
    if not raw.isdigit() or int(raw) < 6:
        raise ImproperlyConfigured(
            f"DANGJIAN_AUDIT_RETENTION_MONTHS（审计记录保留月数）应为不少于6的整数，当前为{raw!r}"
        )
    return int(raw)


SECRET_KEY = _secret_key()
DEBUG = _env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = [
    h
    for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h
]
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "dangjian.core",
    "dangjian.territory",
    "dangjian.organizations",
    "dangjian.accounts",
    "dangjian.members",
    "dangjian.cadres",
    "dangjian.development",
    "dangjian.cases",
    "dangjian.dues",
    "dangjian.orglife",
    "dangjian.timebank",
    "dangjian.points",
    "dangjian.assessment",
    "dangjian.dashboard",
    "dangjian.demo",
    "dangjian.console",
    "dangjian.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "dangjian.core.middleware.RequestContextMiddleware",
    "dangjian.core.middleware.BodySizeLimitMiddleware",
    "dangjian.core.middleware.JsonObjectBodyMiddleware",
    "dangjian.core.middleware.QueryNulMiddleware",
    "dangjian.core.unavailable.DatabaseUnavailableMiddleware",
    "dangjian.core.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "dangjian.core.middleware.TimeZoneMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "dangjian.accounts.middleware.LoginObligationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "dangjian.urls"
WSGI_APPLICATION = "dangjian.wsgi.application"
ASGI_APPLICATION = "dangjian.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dangjian.console.context.console",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL", "")
SQLITE_CACHE_MIB = int(os.environ.get("DANGJIAN_SQLITE_CACHE_MIB", "64"))
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "dangjian.core.sqlite",
            "NAME": os.environ.get("DANGJIAN_SQLITE_PATH", str(VAR_DIR / "dangjian.sqlite3")),
            # Each web thread keeps its connection between requests: opening one ran five
            # statements (the pragmas below among them), and closing the last one checkpointed
            # the WAL file, about a third of a short API request's CPU time.
            "CONN_MAX_AGE": 600,
            # The tests' database in memory, said outright: pytest-django recognises SQLite
            # by Django's own engine name only, and would otherwise give each xdist worker a
            # file named after this path.
            "TEST": {"NAME": ":memory:"},
            "OPTIONS": {
                # The web process and the worker share one file: WAL lets readers go on while
                # one writer works, and IMMEDIATE takes the write lock up front instead of
                # failing half-way through a transaction.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                # A page cache of 64 MiB (SQLite's default is 2 MiB) per connection, taken
                # only as pages are read: a city's registry has a dozen indexes of 100,000
                # entries each, and a bulk import into it spent half its time re-reading them.
                # (Not temp_store=MEMORY: it made nested savepoints in one long transaction,
                # one per row, over three times slower.)
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                f"PRAGMA cache_size=-{SQLITE_CACHE_MIB * 1024};",
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["dangjian.accounts.backends.LockoutBackend"]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "dangjian.accounts.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "dangjian.accounts.passwords.MixedClassesValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "dangjian.accounts.passwords.DemoPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
# Dates and times written one way everywhere (2026-12-07 14:30): dangjian/core/formats.
FORMAT_MODULE_PATH = ["dangjian.core.formats"]
LANGUAGES = [("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "dangjian" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [d for d in [BASE_DIR / "var" / "assets"] if d.exists()]
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"

SESSION_COOKIE_AGE = int(os.environ.get("DANGJIAN_SESSION_SECONDS", 30 * 60))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = _env_bool("DANGJIAN_SECURE_COOKIES", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
# Content security policy (django-csp): scripts, style sheets, images and requests from our
# own origin only; no inline script anywhere (pages ask for behaviours with data attributes,
# console.js and portal.js provide them). Inline style *attributes* are allowed
# (style-src-attr): dozens of templates set a width or a colour that way, and an attribute
# cannot run anything; <style> elements are not. The API documentation page (Swagger UI
# with its inline start-up script) relaxes this for itself alone (dangjian/api.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-elem": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    # Behind nginx, which terminates TLS and says so in X-Forwarded-Proto (docs/deploy.md).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = _env_bool("DANGJIAN_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("DANGJIAN_HSTS_SECONDS", 365 * 24 * 3600))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CSRF_COOKIE_HTTPONLY = True

TASKS = {
    "default": {
        "BACKEND": os.environ.get("DANGJIAN_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# Application logs: to stderr, and to LOG_DIR/dangjian.log through a WatchedFileHandler that
# reopens the file after logrotate moves it (several web and worker processes write to it;
# none rotates it itself). Rotation and retention (as long as the audit rows, by default 12
# months): the logrotate lines in docs/deploy.md. DANGJIAN_LOG_DIR="" writes no file.
LOG_DIR = os.environ.get("DANGJIAN_LOG_DIR", str(VAR_DIR / "log"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_pii": {"()": "dangjian.core.logging.MaskPIIFilter"}},
    "formatters": {
        "line": {"format": "%(asctime)s %(levelname)s %(process)d %(name)s %(message)s"}
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["mask_pii"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DANGJIAN_LOG_LEVEL", "WARNING")},
}
if LOG_DIR:
    Path(LOG_DIR).mkdir(parents=True, exist_ok=True)
    LOGGING["handlers"]["file"] = {  # type: ignore[index]
        "class": "logging.handlers.WatchedFileHandler",
        "filename": str(Path(LOG_DIR) / "dangjian.log"),
        "encoding": "utf-8",
        "delay": True,
        "filters": ["mask_pii"],
        "formatter": "line",
    }
    LOGGING["root"]["handlers"].append("file")  # type: ignore[index]

# --- dangjian's own settings -------------------------------------------------------------
DANGJIAN = {
    # Keys: base64 of 16 bytes each, with key ids for rotation. Unset: created under var/keys/.
    "PII_KEYS_DIR": Path(os.environ.get("DANGJIAN_PII_KEYS_DIR", VAR_DIR / "keys")),
    # Production never creates keys: they come from the environment or a directory outside var/.
    "CREATE_MISSING_KEYS": not PRODUCTION,
    # Proxies (addresses or networks) whose X-Forwarded-For names the client; none: the
    # header is ignored (core.middleware.client_address).
    "TRUSTED_PROXIES": tuple(
        p.strip() for p in os.environ.get("DANGJIAN_TRUSTED_PROXIES", "").split(",") if p.strip()
    ),
    # Failed logins (accounts.throttle): per account name and client address, free up to
    # LOGIN_THROTTLE_AFTER failures, then waits of 2, 4, 8, ... seconds up to
    # LOGIN_DELAY_MAX_SECONDS; per address across all names from LOGIN_ADDRESS_THROTTLE_AFTER.
    # No failure locks an account; an administrator's lock is lifted by user_unlock.
    "LOGIN_THROTTLE_AFTER": int(os.environ.get("DANGJIAN_LOGIN_THROTTLE_AFTER", 3)),
    "LOGIN_ADDRESS_THROTTLE_AFTER": int(
        os.environ.get("DANGJIAN_LOGIN_ADDRESS_THROTTLE_AFTER", 30)
    ),
    "LOGIN_DELAY_MAX_SECONDS": int(os.environ.get("DANGJIAN_LOGIN_DELAY_MAX_SECONDS", 900)),
    "LOGIN_FAILURE_MEMORY_HOURS": 24,
    # A demonstration install (`dangjian demo` sets it): the demo password is accepted and
    # accounts that can grant roles need no second factor. Outside it the demo password is
    # refused as a new password and must be changed at the first login.
    # (TOTP_REQUIRED_FOR_GRANTORS, when set, overrides the second half.)
    "DEMO_MODE": _env_bool("DANGJIAN_DEMO_MODE", False),
    "TOKEN_HOURS": int(os.environ.get("DANGJIAN_TOKEN_HOURS", 12)),
    "OFFICE_HOURS": (((8, 30), (12, 0)), ((14, 0), (18, 0))),
    "OFFICE_CLOSE": (18, 0),
    # Audit rows are kept at least this many calendar months (never fewer than 6, refused
    # below); the PostgreSQL trigger and `dangjian audit_purge` read it (core.retention).
    "AUDIT_RETENTION_MONTHS": _audit_retention_months(),
    # Stored files (core.files): where they live and the largest accepted upload.
    "FILES_DIR": Path(os.environ.get("DANGJIAN_FILES_DIR", VAR_DIR / "files")),
    "UPLOAD_MAX_BYTES": int(os.environ.get("DANGJIAN_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)),
    "DEMO_PASSWORD": os.environ.get("DANGJIAN_DEMO_PASSWORD", "Dangjian@2026"),
    # Cadre structure targets (Nantong "8595": by 2025, 85% of village cadres and 95% of
    # village secretaries with a college degree or above); local settings may differ.
    "CADRE_TARGETS": {"village_cadre_college_share": 0.85, "secretary_college_share": 0.95},
    # Member development (local): the public notice before the branch meeting, in working
    # days, and the time from application to activist (a warning), in months.
    "DEVELOPMENT_NOTICE_WORKDAYS": 5,
    "DEVELOPMENT_ACTIVIST_MONTHS": 6,
    # Member background jobs: days an ended job's stored files (upload, exported workbook) are
    # kept before the sweep removes them (members.jobs.job_files_sweep).
    "MEMBERS_JOB_FILE_DAYS": int(os.environ.get("DANGJIAN_MEMBERS_JOB_FILE_DAYS", 7)),
    # Minutes a running job may go without progress before its worker is taken for dead (the
    # largest import's write, one transaction without progress, takes a few minutes).
    "MEMBERS_JOB_STALE_MINUTES": int(os.environ.get("DANGJIAN_MEMBERS_JOB_STALE_MINUTES", 30)),
    # A revealed export's workbook (whole numbers): downloaded once, within these minutes.
    "MEMBERS_REVEALED_FILE_MINUTES": int(
        os.environ.get("DANGJIAN_MEMBERS_REVEALED_FILE_MINUTES", 30)
    ),
    # A task left running by a worker this machine cannot check is taken as interrupted after.
    "TASK_INTERRUPTED_HOURS": int(os.environ.get("DANGJIAN_TASK_INTERRUPTED_HOURS", 24)),
}

if PRODUCTION:
    from dangjian.deploy_checks import weak_settings

    if _weak := weak_settings(os.environ, globals()):
        raise ImproperlyConfigured(
            "生产模式（DANGJIAN_ENV=production）拒绝启动，请先修正：\n"
            + "\n".join(f"  - {line}" for line in _weak)
        )
