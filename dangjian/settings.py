"""Settings for the community Party-building work platform.

Every value comes from the environment through the typed helpers below; `.env.example` lists
each variable with its default. A variable `NAME_FILE` is read instead of `NAME` when set, so
secrets can be mounted as files.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent
# A local .env file (see .env.example) fills in what the environment leaves unset.
load_dotenv(BASE_DIR / ".env", override=False)


def _raw(name: str) -> str | None:
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text(encoding="utf-8").strip()
    return os.environ.get(name)


def envstr(name: str, default: str = "") -> str:
    value = _raw(name)
    return default if value is None or value == "" else value


def envbool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name} must be a boolean (true/false), got {value!r}")


def envint(name: str, default: int) -> int:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {value!r}") from exc


def envlist(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None or value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = envbool("DJANGO_DEBUG", False)
SECRET_KEY = envstr("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and not envbool("DANGJIAN_TESTING", False):
        raise RuntimeError("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off")
    SECRET_KEY = "insecure-development-key-only-for-debug-and-tests"

ALLOWED_HOSTS = envlist("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = envlist("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "dangjian.core.admin_apps.PlatformAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "django_tasks",
    "dangjian.core",
    "dangjian.members",
    "dangjian.orglife",
    "dangjian.oversight",
    "dangjian.research",
    "dangjian.api",
    "dangjian.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "dangjian.core.middleware.ActiveGrantMiddleware",
    "dangjian.core.middleware.TwoFactorRequiredMiddleware",
    # Last, so that a lockout is answered after the other middleware ran.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dangjian.urls"
WSGI_APPLICATION = "dangjian.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "dangjian" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "dangjian.core.context_processors.navigation",
                "dangjian.oversight.context_processors.reminders",
            ],
            "builtins": ["dangjian.core.templatetags.page_urls"],
        },
    }
]

DEFAULT_SQLITE_PATH = BASE_DIR / "var" / "dangjian.sqlite3"
if not envstr("DATABASE_URL"):
    DEFAULT_SQLITE_PATH.parent.mkdir(exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        envstr("DATABASE_URL", f"sqlite:///{DEFAULT_SQLITE_PATH}"),
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    DATABASES["default"]["TEST"] = {"NAME": None}

REDIS_URL = envstr("REDIS_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# With a shared cache, a page reads its session from the cache (written through to the database,
# read from there when the cache has lost it): one query less on every page. A per-process cache
# cannot hold sessions: a sign-out in one process would leave the session alive in the others.
SESSION_ENGINE = f"django.contrib.sessions.backends.{'cached_db' if REDIS_URL else 'db'}"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend, reading a request's user with their grants (one query less on every page).
    "dangjian.core.backends.GrantsBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "dangjian.core.validators.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "dangjian" / "static"]
# Uploaded files (meeting attachments) are served only through scoped pages, never directly.
MEDIA_ROOT = Path(envstr("DJANGO_MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or envbool("DANGJIAN_TESTING", False)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Sessions and cookies: secure outside debug.
SESSION_COOKIE_AGE = envint("DANGJIAN_SESSION_SECONDS", 8 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG and envbool("DANGJIAN_SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if envbool("DANGJIAN_BEHIND_TLS_PROXY", False) else None
SECURE_SSL_REDIRECT = envbool("DANGJIAN_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = envint("DANGJIAN_HSTS_SECONDS", 0)

# A strict content security policy: no inline scripts or styles anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Lock an account out after five failed logins.
AXES_FAILURE_LIMIT = envint("DANGJIAN_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = envint("DANGJIAN_LOGIN_COOLOFF_MINUTES", 30) / 60
# Lock by account, not by address: a community office signs in from one address behind NAT,
# and one person's typos must not lock out the whole office.
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_LOCKOUT_CALLABLE = "dangjian.core.errors.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# The admin shows each record's history; reverting would bypass the services' rules.
SIMPLE_HISTORY_REVERT_DISABLED = True

# Two-factor login: required for district and sub-district organizers unless turned off.
DANGJIAN_REQUIRE_2FA_FOR_ORGANIZERS = envbool("DANGJIAN_REQUIRE_2FA_FOR_ORGANIZERS", True)
OTP_TOTP_ISSUER = envstr("DANGJIAN_OTP_ISSUER", "社区党建工作平台")

# Imports (the member roster): the largest file and the most data rows one upload may carry.
DANGJIAN_IMPORT_MAX_BYTES = envint("DANGJIAN_IMPORT_MAX_BYTES", 10 * 1024 * 1024)
DANGJIAN_IMPORT_MAX_ROWS = envint("DANGJIAN_IMPORT_MAX_ROWS", 20000)

# Background work through the django.tasks API (the django-tasks backport). The immediate backend
# runs a task inside the request that enqueues it, so the demo needs no worker; a deployment
# points DANGJIAN_TASKS_BACKEND at a database or RQ backend and runs workers beside the app.
TASKS = {
    "default": {
        "BACKEND": envstr("DANGJIAN_TASKS_BACKEND", "django_tasks.backends.immediate.ImmediateBackend"),
    }
}

# Committee terms that end within this many days are listed on the home page and the terms page.
DANGJIAN_TERM_WARNING_DAYS = envint("DANGJIAN_TERM_WARNING_DAYS", 90)

# Organizational life. Introduction letters are valid this many days from issue (the letter
# prints it); reminders start this many days before a letter expires.
DANGJIAN_LETTER_VALID_DAYS = envint("DANGJIAN_LETTER_VALID_DAYS", 30)
DANGJIAN_LETTER_WARNING_DAYS = envint("DANGJIAN_LETTER_WARNING_DAYS", 7)
# The blind-spot rule: this many consecutive months without organizational life, dues or
# assigned work opens a case; a mobile member not reached for this many months is lost contact.
DANGJIAN_BLIND_SPOT_MONTHS = envint("DANGJIAN_BLIND_SPOT_MONTHS", 6)
DANGJIAN_LOST_CONTACT_MONTHS = envint("DANGJIAN_LOST_CONTACT_MONTHS", 6)
# Meeting attachments (photos, sign-in sheets): the largest file one upload may carry.
DANGJIAN_ATTACHMENT_MAX_BYTES = envint("DANGJIAN_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)

# Research before acting: days a risk may stay in each state before it is overdue, days to
# answer an opinion, days before a research round's end when it is due; public submissions per
# IP and per community per hour, and tracking-code look-ups per IP per hour.
DANGJIAN_RISK_STATE_DAYS = {
    "reported": envint("DANGJIAN_RISK_REPORTED_DAYS", 3),
    "researching": envint("DANGJIAN_RISK_RESEARCHING_DAYS", 15),
    "solution": envint("DANGJIAN_RISK_SOLUTION_DAYS", 30),
}
DANGJIAN_OPINION_ANSWER_DAYS = envint("DANGJIAN_OPINION_ANSWER_DAYS", 15)
DANGJIAN_ROUND_DUE_DAYS = envint("DANGJIAN_ROUND_DUE_DAYS", 14)
DANGJIAN_OPINION_LIMIT_PER_IP = envint("DANGJIAN_OPINION_LIMIT_PER_IP", 5)
DANGJIAN_OPINION_LIMIT_PER_COMMUNITY = envint("DANGJIAN_OPINION_LIMIT_PER_COMMUNITY", 100)
DANGJIAN_TRACKING_LIMIT_PER_IP = envint("DANGJIAN_TRACKING_LIMIT_PER_IP", 30)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "dangjian.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "dangjian.api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "社区党建工作平台 API",
    "DESCRIPTION": "社区党建工作平台的 REST 接口。所有接口都按当前授权的权限范围过滤，范围之外的对象返回 404。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
}

EMAIL_BACKEND = envstr("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = envstr("DJANGO_DEFAULT_FROM_EMAIL", "noreply@dangjian.local")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Keys for personal data at rest (32 random bytes each, base64): AES-GCM encryption of ID numbers
# and phones, and the HMAC blind index used to look them up. Required outside debug and tests.
DANGJIAN_FIELD_KEY = envstr("DANGJIAN_FIELD_KEY", "")
DANGJIAN_INDEX_KEY = envstr("DANGJIAN_INDEX_KEY", "")
DANGJIAN_TESTING = envbool("DANGJIAN_TESTING", False)

# The demo password printed by `seed_demo`.
DANGJIAN_DEMO_PASSWORD = envstr("DANGJIAN_DEMO_PASSWORD", "Dangjian@2026")
