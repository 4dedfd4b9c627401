"""Settings for the plan portal, read from the environment only (see `.env.example`).

Nothing here depends on where it runs: production, a developer's laptop and CI differ only in
their environment variables.
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        # Swedish, as manage.py prints it alone: the settings load before any translation can.
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY är inte satt: sätt DJANGO_DEBUG=1 för utveckling eller "
            "DJANGO_SECRET_KEY för drift (se .env.example)."
        )
    # Only ever used with DJANGO_DEBUG on, i.e. on a developer's own machine.
    SECRET_KEY = "insecure-development-key-never-used-in-production"  # noqa: S105 (DEBUG only)

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # Django's admin, with a site that admits the roles that edit (klockaretorpet/admin_site.py).
    "klockaretorpet.admin_site.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # Django's own widget templates for FORM_RENDERER below.
    "django.forms",
    "simple_history",
    "import_export",
    "axes",
    "csp",
    "strategies",
    "plans",
    "followup",
    "accounts",
]

MIDDLEWARE = [
    # First, so every response and every log line of a request has its id, error pages included.
    "klockaretorpet.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "klockaretorpet.language.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "klockaretorpet.sessions.RenewSessionOnUseMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    # After the CSP middleware, so that it adds to the policy before the header is written.
    "accounts.middleware.ProviderLogoutFormActionMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

# Widgets render with the project's templates too, so that one can be overridden in templates/
# (the admin's lists of options as named groups: templates/admin/widgets/choice_group.html).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

ROOT_URLCONF = "klockaretorpet.urls"
WSGI_APPLICATION = "klockaretorpet.wsgi.application"
ASGI_APPLICATION = "klockaretorpet.asgi.application"

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
                "klockaretorpet.context_processors.roles",
                "klockaretorpet.sessions.session_timing",
            ],
            # The project package is no app: its template libraries are named here.
            "libraries": {
                "form_errors": "klockaretorpet.templatetags.form_errors",
                "hyphenation": "klockaretorpet.templatetags.hyphenation",
                "labels": "klockaretorpet.templatetags.labels",
            },
        },
    },
]

# SQLite needs no set-up; DATABASE_URL=postgres://… selects PostgreSQL through psycopg 3.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        # Connections are kept between requests (a new PostgreSQL connection costs a few ms);
        # the health check finds one the server has closed (restart, pg_terminate_backend)
        # before a request uses it, so the app recovers without a restart.
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database host that vanishes without refusing connections would otherwise hold every
    # request for minutes; after 5 s the visitor gets the "try again shortly" page (503).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)

# One cache shared by every app server: Excel files waiting for the import's confirmation,
# rendered plan trees and the PDFs of closed rounds. It lives in the database, so several servers
# behind a load balancer need nothing else (`manage.py createcachetable` makes the table).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "portal_cache",
        "TIMEOUT": 24 * 60 * 60,
        "OPTIONS": {"MAX_ENTRIES": 5000},
    }
}
FIXTURE_DIRS = [BASE_DIR / "fixtures"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    # First, so a locked-out user is refused before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    # Passwords; with DJANGO_PASSWORD_LOGIN=0 for superusers only.
    "accounts.backends.PasswordBackend",
    # Keeps the users who signed in through their organisation's provider (accounts.views).
    "accounts.backends.OrganisationSignInBackend",
]

# Sign-in with the organisations' own accounts (OpenID Connect; accounts/, README). One entry a
# provider, in the order of the login page's buttons:
#   DJANGO_OIDC_PROVIDERS=kommun,hyresbostader
#   DJANGO_OIDC_KOMMUN_ISSUER, _CLIENT_ID, _CLIENT_SECRET, _ORGANISATION (the organisation's name
#   in the portal), _LABEL ("Norrköpings kommuns konto"), _SCOPES, _GROUPS_CLAIM, _UNIT_CLAIM,
#   and the provider's groups that give each role: _PLAN_ADMIN_GROUPS, _EDITOR_GROUPS,
#   _READER_GROUPS (comma-separated group ids or names).


def oidc_provider(name: str) -> dict:
    prefix = f"DJANGO_OIDC_{name.upper().replace('-', '_')}_"
    return {
        "name": name,
        "issuer": os.environ.get(prefix + "ISSUER", "").strip(),
        "client_id": os.environ.get(prefix + "CLIENT_ID", "").strip(),
        "client_secret": os.environ.get(prefix + "CLIENT_SECRET", ""),
        "organisation": os.environ.get(prefix + "ORGANISATION", "").strip(),
        "label": os.environ.get(prefix + "LABEL", "").strip(),
        "scopes": os.environ.get(prefix + "SCOPES", "openid email profile").split(),
        "groups_claim": os.environ.get(prefix + "GROUPS_CLAIM", "groups").strip(),
        "unit_claim": os.environ.get(prefix + "UNIT_CLAIM", "").strip(),
        "role_groups": {
            "plan_admin": env_list(prefix + "PLAN_ADMIN_GROUPS"),
            "editor": env_list(prefix + "EDITOR_GROUPS"),
            "reader": env_list(prefix + "READER_GROUPS"),
        },
    }


OIDC_PROVIDERS = [oidc_provider(name) for name in env_list("DJANGO_OIDC_PROVIDERS")]
# Password login for everyone (the demo, small installations); 0 leaves it to superusers, for
# when the organisations sign in through their providers.
PASSWORD_LOGIN = env_bool("DJANGO_PASSWORD_LOGIN", default=True)
# A sign-in through a provider lasts at most this long, however much the session is used, so an
# account closed at the provider loses the portal by then at the latest.
OIDC_SESSION_MAX_HOURS = float(os.environ.get("DJANGO_OIDC_SESSION_MAX_HOURS", "10"))

# Five failed logins for one user name from one address lock that pair out for 15 minutes;
# other users, and the same user from elsewhere, are unaffected.
AXES_FAILURE_LIMIT = int(os.environ.get("DJANGO_AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(
    minutes=int(os.environ.get("DJANGO_AXES_COOLOFF_MINUTES", "15"))
)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# The client's address, which the lock-outs above count by. Behind reverse proxies each proxy
# appends the address it was connected from to X-Forwarded-For, so the client's is the entry
# PROXY_COUNT places from the right: the proxy next to the app wrote the last one, and everything
# left of the client's entry is whatever the client sent and is never believed. Without a proxy
# (0) the header is ignored, as any client can send it.
PROXY_COUNT = int(os.environ.get("DJANGO_PROXY_COUNT", "0"))
if PROXY_COUNT < 0:
    raise ImproperlyConfigured("DJANGO_PROXY_COUNT måste vara 0 eller mer (se .env.example).")
if PROXY_COUNT:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR"]
    # django-ipware counts the proxies named in the header, i.e. all but the one next to the app.
    AXES_IPWARE_PROXY_COUNT = PROXY_COUNT - 1
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
    AXES_IPWARE_PROXY_COUNT = None
# Entries the client added in front of the proxies' are skipped, not a reason to distrust the
# header (which with strict checking would leave no address at all).
IPWARE_STRICT = False

# Eight hours without a request end a session (klockaretorpet.sessions renews it on use); the
# page warns this many seconds before and offers to continue (WCAG 2.2.1).
SESSION_COOKIE_AGE = 8 * 60 * 60
SESSION_WARNING_SECONDS = 5 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "strategies:home"
LOGOUT_REDIRECT_URL = "login"

# Swedish by default; English through the language switch (klockaretorpet.language), never from
# the browser's Accept-Language.
LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("Swedish")), ("en", _("English"))]
# The project's own catalogue first; locale_vendor/ fills in Swedish for third-party apps
# that ship none (django-simple-history).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale_vendor"]
# One written format for dates in both languages (klockaretorpet/formats).
FORMAT_MODULE_PATH = ["klockaretorpet.formats"]
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Tests and `runserver` serve straight from the finders, so no collectstatic is needed there.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_MANIFEST_STRICT = False

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Secure by default whenever DEBUG is off; only the redirect can be turned off, for a
# TLS-terminating proxy that already redirects (DJANGO_SECURE_SSL_REDIRECT=0).
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = 0 if DEBUG else int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
# The language switch's cookie: like the session's, never sent over plain HTTP in production.
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Only the portal's own scripts, styles and images; no inline script anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# django-import-export lets anyone who can see a list import into it unless told otherwise.
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "import"
IMPORT_EXPORT_IMPORT_IGNORE_BLANK_LINES = True
# The admin's confirm step re-reads the uploaded file: from the shared cache, not one server's
# disk, as a pending upload of its user (at most two a user, 30 minutes).
IMPORT_EXPORT_TMP_STORAGE_CLASS = "klockaretorpet.pending_uploads.PendingUploadStorage"
# The most rows one import may hold (a plan has hundreds; this only stops runaway files).
IMPORT_MAX_ROWS = int(os.environ.get("DJANGO_IMPORT_MAX_ROWS", "20000"))

# Follow-up reminders (manage.py send_followup_reminders). The console back-end prints the
# mails instead of sending them until SMTP is configured (EMAIL_HOST etc. by environment).
EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", "25"))
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "planportalen@localhost")
# Where links in e-mails point.
PORTAL_BASE_URL = os.environ.get("DJANGO_PORTAL_BASE_URL", "http://127.0.0.1:8000")

# One size limit for every upload (Excel import); keep the reverse proxy's limit in step
# (nginx: client_max_body_size 6m;).
UPLOAD_MAX_BYTES = int(os.environ.get("DJANGO_UPLOAD_MAX_BYTES", str(5 * 1024 * 1024)))
FILE_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES
# What an uploaded workbook may unpack to (klockaretorpet/workbook_limits.py): 16 times the
# upload limit, 80 MB, keeps reading any accepted file within 150 MB of memory.
UPLOAD_MAX_UNPACKED_BYTES = int(
    os.environ.get("DJANGO_UPLOAD_MAX_UNPACKED_BYTES", str(16 * UPLOAD_MAX_BYTES))
)
DATA_UPLOAD_MAX_MEMORY_SIZE = UPLOAD_MAX_BYTES + 1024 * 1024

# One line per record on stdout, where gunicorn's own lines go too (gunicorn.conf.py), each with
# the request's id (klockaretorpet/request_id.py), "-" outside a request.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "klockaretorpet.request_id.RequestIdFilter"}},
    "formatters": {
        "portal": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
            # With the offset: the portal logs in TIME_ZONE, gunicorn's master in the host's zone.
            "datefmt": "%Y-%m-%d %H:%M:%S%z",
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "filters": ["request_id"],
            "formatter": "portal",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    # Lock-outs are logged as warnings; every successful login at INFO would drown them.
    "loggers": {
        "axes": {"level": "WARNING"},
        # WeasyPrint reports every layout step at INFO; its warnings (a refused URL) stay.
        "weasyprint.progress": {"level": "WARNING"},
    },
}
