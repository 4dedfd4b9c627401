"""The one lost-update guard: a version column checked by a conditional UPDATE.

Every edit form carries the version the user saw (a hidden field, because `VersionField` is an
ordinary editable model field). Saving runs `UPDATE … SET version = N + 1 WHERE pk = … AND
version = N` before the real save, in one transaction: if someone else saved in between, no row
matches, `StaleObjectError` is raised, nothing is written and no history record is made. Forms
check the same thing during validation so the user gets the message beside their input; the
save-time check closes the gap between validation and save.
"""

from __future__ import annotations

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class VersionField(models.PositiveIntegerField):
    """Counts saves; travels through every model form as a hidden input."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", 1)
        kwargs.setdefault("verbose_name", gettext_lazy("version"))
        super().__init__(*args, **kwargs)

    def formfield(self, **kwargs):
        return forms.IntegerField(widget=forms.HiddenInput, required=True, min_value=1)


class StaleObjectError(Exception):
    """Someone else saved the object after this copy of it was read."""

    def __init__(self, instance: models.Model):
        self.instance = instance
        super().__init__(stale_message(instance))


class VersionedModel(models.Model):
    version = VersionField()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if self._state.adding or kwargs.get("force_insert"):
            return super().save(*args, **kwargs)
        using = kwargs.get("using") or self._state.db
        with transaction.atomic(using=using):
            seen = self.version
            matched = (
                type(self)
                ._base_manager.using(using)
                .filter(pk=self.pk, version=seen)
                .update(version=seen + 1)
            )
            if not matched:
                raise StaleObjectError(self)
            self.version = seen + 1
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "version"}
            super().save(*args, **kwargs)
        return None

    def is_stale(self, seen_version: int | None = None) -> bool:
        seen = self.version if seen_version is None else seen_version
        current = (
            type(self)._base_manager.filter(pk=self.pk).values_list("version", flat=True).first()
        )
        return current is not None and current != seen


def last_change(instance: models.Model) -> tuple[str, datetime.datetime] | None:
    """(who, when in local time) of the object's latest history record, if it has one."""
    history = getattr(instance, "history", None)
    if history is None or instance.pk is None:
        return None
    latest = history.select_related("history_user").order_by("-history_date").first()
    if latest is None:
        return None
    user = latest.history_user
    who = (user.get_full_name() or user.get_username()) if user else _("someone else")
    return who, timezone.localtime(latest.history_date)


def stale_message(instance: models.Model) -> str:
    """“Changed by X at HH:MM since you opened it”, from the object's latest history record."""
    change = last_change(instance)
    if change is None:
        return _(
            "“%(object)s” was changed by someone else since you opened it. Your changes were "
            "not saved: reload the page to see the current version and make them again."
        ) % {"object": instance}
    who, when = change
    return _(
        "“%(object)s” was changed by %(who)s at %(time)s on %(date)s since you opened it. Your "
        "changes were not saved: reload the page to see the current version and make them again."
    ) % {
        "object": instance,
        "who": who,
        "time": date_format(when, "H:i"),
        "date": date_format(when, "j F Y"),
    }


class VersionCheckFormMixin:
    """For model forms of `VersionedModel`s: refuse a stale form with the message, early."""

    def clean(self):
        cleaned = super().clean()
        instance = self.instance
        seen = cleaned.get("version")
        if instance.pk is not None and seen is not None and instance.is_stale(seen):
            raise ValidationError(stale_message(instance), code="stale")
        return cleaned


class VersionedModelForm(VersionCheckFormMixin, forms.ModelForm):
    pass
