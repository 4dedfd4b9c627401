"""Admin classes that ask the permission policy and keep the lost-update guard.

Every ModelAdmin and inline of the project derives from these, so the admin cannot drift from
`klockaretorpet.permissions` and no admin form can overwrite a newer save.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import SEARCH_VAR
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.utils.translation import gettext as _
from simple_history.admin import SimpleHistoryAdmin

from klockaretorpet import permissions
from klockaretorpet.concurrency import StaleObjectError, VersionedModel, VersionedModelForm


def _is_versioned(model) -> bool:
    return issubclass(model, VersionedModel)


def _with_version(fieldsets):
    """Make sure the hidden version input is rendered, whatever fieldsets the admin declares."""
    if any("version" in _flatten(options.get("fields", ())) for _name, options in fieldsets):
        return fieldsets
    (name, options), *rest = fieldsets
    return [(name, {**options, "fields": [*options.get("fields", ()), "version"]}), *rest]


def _flatten(fields):
    for field in fields:
        if isinstance(field, list | tuple):
            yield from field
        else:
            yield field


def _could_be_a_key(db_field, value) -> bool:
    """Whether `value` could be a stored key of the relation's target (a number in the database
    column's range for an id), so that looking it up cannot raise."""
    target = db_field.target_field
    try:
        target.run_validators(target.to_python(value))
    except ValidationError:
        return False
    return True


class _OnlyPossibleKeys:
    """Django's autocomplete widgets look their selected values up to show them; a value that
    cannot be a key ("abc", NUL, 2**70 posted or put in the address) then raises instead of
    being shown as nothing selected. The form itself refuses such values with its own message."""

    def optgroups(self, name, value, attr=None):
        possible = [item for item in value if _could_be_a_key(self.field, item)]
        return super().optgroups(name, possible, attr)


class _NamedByItsLabel:
    """select2 names its combobox by the chosen value alone ("Norrköpings kommun": of which
    field?); static/js/admin_names.js puts the field's label before it, once the admin's
    autocomplete.js has made the comboboxes."""

    @property
    def media(self):
        # One list, so that the merged media keep this order.
        return super().media + forms.Media(js=["admin/js/autocomplete.js", "js/admin_names.js"])


class AutocompleteSelect(_NamedByItsLabel, _OnlyPossibleKeys, admin.widgets.AutocompleteSelect):
    pass


class AutocompleteSelectMultiple(
    _NamedByItsLabel, _OnlyPossibleKeys, admin.widgets.AutocompleteSelectMultiple
):
    pass


class PossibleKeysMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Refuses a value that cannot be a key before the one query for all values, which SQLite
    cannot even run with a number beyond its integers (2**70 posted by hand)."""

    def _check_values(self, value):
        key = self.to_field_name or "pk"
        target = self.queryset.model._meta.get_field(key) if key != "pk" else None
        target = target or self.queryset.model._meta.pk
        for item in value if isinstance(value, list | tuple) else ():
            try:
                target.run_validators(target.to_python(item))
            except ValidationError:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": item},
                ) from None
        return super()._check_values(value)


class PossibleKeysInForms:
    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = AutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = AutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        kwargs.setdefault("form_class", PossibleKeysMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


# Beyond any 64-bit integer: no id or number column can hold it (SQLite cannot even compare).
INTEGER_DIGITS = 19


def _unusable_filter(key: str, values: list[str]) -> bool:
    """A list filter no row can match and the database cannot be asked: a NUL (PostgreSQL
    refuses it in a query) or a whole number beyond 64 bits. Search text (`q`) is text."""
    if "\x00" in key or any("\x00" in value for value in values):
        return True
    if key == SEARCH_VAR:
        return False
    return any(
        value.lstrip("-").isdigit() and len(value.lstrip("-")) > INTEGER_DIGITS for value in values
    )


class FilterCheckingChangeList:
    """The list shows itself without a filter from the address that no row can match, rather
    than failing on it: as Django's admin answers a filter it does not know."""

    def changelist_view(self, request, extra_context=None):
        params = request.GET.copy()
        unusable = [key for key, values in params.lists() if _unusable_filter(key, values)]
        if unusable:
            for key in unusable:
                del params[key]
            messages.warning(
                request,
                _("A filter in the address could not be used; the list is shown without it."),
            )
            query = params.urlencode()
            return HttpResponseRedirect(f"{request.path}?{query}" if query else request.path)
        return super().changelist_view(request, extra_context)


class GuardedAdmin(FilterCheckingChangeList, PossibleKeysInForms, SimpleHistoryAdmin):
    form = VersionedModelForm

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if permissions.can_view(request.user, self.model) else queryset.none()

    def has_module_permission(self, request):
        return permissions.can_view(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return permissions.can_view(request.user, obj or self.model)

    def has_change_permission(self, request, obj=None):
        return permissions.can_change(request.user, obj or self.model)

    def has_add_permission(self, request):
        return permissions.can_add(request.user, self.model)

    def has_delete_permission(self, request, obj=None):
        return permissions.can_delete(request.user, obj or self.model)

    def get_readonly_fields(self, request, obj=None):
        # Shown, not posted: what the user may not change keeps its value whatever arrives.
        readonly = list(super().get_readonly_fields(request, obj))
        locked = permissions.locked_fields(request.user, obj or self.model)
        return readonly + sorted(locked - set(readonly))

    def save_model(self, request, obj, form, change):
        # The second line behind the read-only fields: a form that still carries a locked field
        # (a subclass's own form, a revert) is refused, not saved.
        if change and not permissions.can_change_fields(request.user, obj, form.changed_data):
            raise PermissionDenied
        super().save_model(request, obj, form, change)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if _is_versioned(self.model) and self.has_change_permission(request, obj):
            return _with_version(fieldsets)
        return fieldsets

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except StaleObjectError as stale:
            # Someone saved between this form's validation and its save: nothing was written.
            messages.error(request, str(stale))
            return HttpResponseRedirect(request.get_full_path())

    def has_change_history_permission(self, request, obj=None):
        return permissions.can_revert_history(request.user, obj)

    def history_view(self, request, object_id, extra_context=None):
        try:
            self.model._meta.pk.to_python(object_id)
        except ValidationError:
            raise Http404(_("There is no such version in the history.")) from None
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # django-simple-history saves a POSTed revert form whenever the user may *view* history.
        if request.method == "POST" and not permissions.can_revert_history(request.user):
            raise PermissionDenied
        history_model = self.model.history.model
        try:
            self.model._meta.pk.to_python(object_id)
            history_model._meta.get_field("history_id").to_python(version_id)
        except ValidationError:
            # django-simple-history looks the record up with whatever the address holds.
            raise Http404(_("There is no such version in the history.")) from None
        request._reverting_history = True
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        reverting = getattr(request, "_reverting_history", False)
        if reverting and obj is not None and _is_versioned(self.model):
            # A revert writes the old values over the *current* version, and is itself
            # refused if someone saves after the revert page was opened.
            obj.version = (
                self.model._base_manager.filter(pk=obj.pk).values_list("version", flat=True).first()
            )
        return super().get_form(request, obj, change, **kwargs)


class GuardedInlineMixin(PossibleKeysInForms):
    """Inline rows are changed as part of their parent: the policy decides on the parent."""

    form = VersionedModelForm

    def has_view_permission(self, request, obj=None):
        return permissions.can_view(request.user, obj or self.model)

    def has_change_permission(self, request, obj=None):
        return (
            permissions.can_change(request.user, obj)
            if obj
            else permissions.can_change(request.user, self.model)
        )

    def has_add_permission(self, request, obj=None):
        return permissions.can_add(request.user, self.model, parent=obj)

    def has_delete_permission(self, request, obj=None):
        if obj is None:
            return permissions.can_delete(request.user, self.model)
        return permissions.can_change(request.user, obj) and permissions.can_delete(
            request.user, self.model
        )

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if _is_versioned(self.model) and "version" not in fields:
            fields.append("version")
        return fields


class GuardedTabularInline(GuardedInlineMixin, admin.TabularInline):
    pass


class GuardedStackedInline(GuardedInlineMixin, admin.StackedInline):
    pass
