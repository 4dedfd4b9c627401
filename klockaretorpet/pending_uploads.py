"""Uploaded files waiting for their user to confirm the import they previewed.

Both imports with a preview (the admin's activity import, a follow-up round's import) keep the
file here between the preview and the confirmation, in the shared cache (the database cache: not
one server's disk). What one user can leave behind is bounded: at most `MAX_PER_USER` files
(keeping another drops that user's oldest), each for `LIFETIME_SECONDS`. A file is found only
with its token *and* the user who uploaded it, and the imports discard it as soon as it is not
needed: a refused preview, a confirmed (or refused) import.
"""

from __future__ import annotations

import contextvars
import secrets
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.core.cache import cache
from import_export.tmp_storages import BaseStorage

LIFETIME_SECONDS = 30 * 60
MAX_PER_USER = 2
KEY_PREFIX = "pending-upload"


@dataclass(frozen=True)
class PendingUpload:
    token: str
    file_name: str
    content: bytes


def keep(*, user, content: bytes, file_name: str = "") -> str:
    """Keep `content` for `user`; the token to find it with. Replaces the user's oldest
    pending file when they already have `MAX_PER_USER`."""
    token = secrets.token_urlsafe(16)
    now = time.time()
    # (token, kept at) of the user's pending files, oldest first. Two requests of one user at
    # the same moment may each miss the other's entry: that file then only lives out its time.
    held = [(t, at) for t, at in _index(user) if now - at < LIFETIME_SECONDS]
    while len(held) >= MAX_PER_USER:
        oldest, _at = held.pop(0)
        cache.delete(_key(user, oldest))
    cache.set(_key(user, token), (file_name, content), LIFETIME_SECONDS)
    held.append((token, now))
    cache.set(_index_key(user), held, LIFETIME_SECONDS)
    return token


def find(*, user, token: str) -> PendingUpload | None:
    """The user's pending file with this token; None when it has expired, was discarded or
    belongs to someone else."""
    if not token:
        return None
    kept = cache.get(_key(user, token))
    if kept is None:
        return None
    file_name, content = kept
    return PendingUpload(token=token, file_name=file_name, content=content)


def discard(*, user, token: str) -> None:
    if not token:
        return
    cache.delete(_key(user, token))
    held = _index(user)
    remaining = [(t, at) for t, at in held if t != token]
    if len(remaining) != len(held):
        cache.set(_index_key(user), remaining, LIFETIME_SECONDS)


def pending_tokens(user) -> list[str]:
    """The tokens of the user's pending files, oldest first."""
    return [token for token, _at in _index(user) if cache.get(_key(user, token)) is not None]


def _index(user) -> list[tuple[str, float]]:
    return list(cache.get(_index_key(user)) or [])


def _key(user, token: str) -> str:
    return f"{KEY_PREFIX}:{user.pk}:{token}"


def _index_key(user) -> str:
    return f"{KEY_PREFIX}:{user.pk}"


# --- django-import-export's temporary storage --------------------------------------------------


@dataclass
class _Request:
    user: object
    kept: list[str] = field(default_factory=list)

    def discard_kept(self) -> None:
        for token in self.kept:
            discard(user=self.user, token=token)
        self.kept.clear()


_current: contextvars.ContextVar[_Request | None] = contextvars.ContextVar(
    "pending_upload_request", default=None
)


@contextmanager
def on_behalf_of(user):
    """Lets `PendingUploadStorage` keep and find files for `user` inside the block (the admin
    view handling the user's request); yields what lets the view discard what it kept."""
    request = _Request(user)
    reset = _current.set(request)
    try:
        yield request
    finally:
        _current.reset(reset)


class PendingUploadStorage(BaseStorage):
    """`IMPORT_EXPORT_TMP_STORAGE_CLASS`: the admin import's file, kept as a pending upload of
    the user (import-export names the file by the token)."""

    def save(self, data):
        request = _request()
        self.name = keep(user=request.user, content=data)
        request.kept.append(self.name)

    def read(self):
        found = find(user=_request().user, token=self.name or "")
        return None if found is None else found.content

    def remove(self):
        discard(user=_request().user, token=self.name or "")


def _request() -> _Request:
    request = _current.get()
    if request is None:
        raise RuntimeError("PendingUploadStorage is used outside pending_uploads.on_behalf_of()")
    return request
