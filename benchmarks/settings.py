"""Settings for benchmarks: the portal's own, plus the naive baseline's URL and template.

The baseline lives only here, so the portal never ships it. Everything else is production's
configuration (DEBUG off, the database cache, WhiteNoise), so figures mean what users get.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-secret-key")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")

from klockaretorpet.settings import *  # noqa: F403
from klockaretorpet.settings import BASE_DIR, TEMPLATES

ROOT_URLCONF = "benchmarks.urls"
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "benchmarks" / "templates"]
# No collectstatic for a throw-away run: static files come straight from the finders.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# Creating thousands of activities needs no password checks; logging in happens once.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The load test's access log would drown the table.
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
STATIC_ROOT = None  # nothing collected: WhiteNoise serves from the finders
