"""Generations: one token per kind of data that every committed write replaces, so that output
rendered from that data can be cached under the token and is never served stale.

A `Generation` watches the models of some apps (by label: this module knows no app) through
model signals, because writes come from everywhere (admin, portal, Excel import, management
commands, shell). `queryset.update()` and `bulk_create` send no signal, so code that uses them
calls `bump()` itself. The plan pages' sections use a generation per strategy plus one for
writes that touch them all (`plans.tree_cache`); the follow-up reports and the overview use the
plan data's and the follow-up data's.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

# Every generation made, so that a write no generation can tell apart (the retention routine's
# queryset updates across apps) can start them all.
GENERATIONS: list[Generation] = []


@dataclass(frozen=True)
class Replace:
    """The on-commit callback that starts a new generation; equal for equal keys, so that a
    transaction can tell whether it has already scheduled one."""

    key: str

    def __call__(self) -> None:
        cache.set(self.key, uuid.uuid4().hex, None)


class Generation:
    def __init__(self, key: str, app_labels: frozenset[str] = frozenset(), *, register=True):
        self.key = key
        self.app_labels = app_labels
        self._replace = Replace(key)
        if register:
            GENERATIONS.append(self)

    def bump(self) -> None:
        """Start a new generation once the current transaction commits.

        After the commit, not before: a request that read the old rows between the bump and the
        commit would otherwise store them under the new generation.
        """
        transaction.on_commit(self._replace)

    def bump_once(self) -> None:
        """`bump()`, unless this transaction has already bumped (an import saves thousands)."""
        if not self.pending():
            self.bump()

    def pending(self) -> bool:
        """Whether this transaction has written watched data and will start a new generation.

        One bump per transaction is enough (an import saves thousands of rows): a bump still
        listed was made inside savepoints that are either released, so they can no longer be
        rolled back, or still open, and then a rollback undoes the later write as well.
        """
        replace = self._replace
        return any(callback == replace for _sids, callback, _robust in connection.run_on_commit)

    def current(self) -> str:
        return current_tokens([self.key])[self.key]

    def _on_write(self, sender, **kwargs) -> None:
        if sender._meta.app_label in self.app_labels:
            self.bump_once()

    def connect(self) -> None:
        for signal in (post_save, post_delete, m2m_changed):
            signal.connect(self._on_write, dispatch_uid=f"{self.key}:{signal}", weak=False)


def current_tokens(keys: Iterable[str]) -> dict[str, str]:
    """The current token of each generation key, in one cache read when all are set."""
    keys = list(dict.fromkeys(keys))
    tokens = cache.get_many(keys)
    for key in keys:
        if key not in tokens:
            # An emptied or evicted cache starts a generation of its own. `add`, not `set`: a
            # request that read the rows before a write committed must not replace the write's
            # new generation with its own.
            token = uuid.uuid4().hex
            cache.add(key, token, None)
            tokens[key] = cache.get(key, token)
    return tokens


def bump_all() -> None:
    """Start a new generation of every kind of data once the transaction commits."""
    for generation in GENERATIONS:
        generation.bump()
