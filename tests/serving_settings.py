"""The portal's settings plus `tests/serving_urls.py`, for a gunicorn that a test starts with
DJANGO_SETTINGS_MODULE=tests.serving_settings. Production never loads this module, so the slow
views below exist only in such a test."""

from klockaretorpet.settings import *  # noqa: F403

ROOT_URLCONF = "tests.serving_urls"
