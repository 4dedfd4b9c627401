"""The admin's Excel import of activities: django-import-export's preview-then-confirm flow,
bound to one declaration, all-or-nothing, and readable in Swedish."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponseRedirect
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from import_export.admin import ImportMixin
from import_export.forms import ConfirmImportForm, ImportForm

from klockaretorpet import pending_uploads, permissions
from klockaretorpet.uploads import SpreadsheetUploadValidator
from klockaretorpet.xlsx import FormulaSafeXLSX
from strategies.models import IntentDeclaration

from .resources import ActivityResource, read_activity_sheet


class ActivitySheet(FormulaSafeXLSX):
    """One import “format” for .xlsx and .csv alike: the file's content decides, not its name."""

    def get_title(self):
        return gettext_lazy("Excel (.xlsx) or CSV")

    def create_dataset(self, in_stream):
        if in_stream is None:
            # The pending file has expired (or was discarded) between preview and confirmation.
            raise ValidationError(_("The preview has expired. Upload the file again."))
        return read_activity_sheet(SimpleUploadedFile(_("the file"), in_stream))


class ActivityImportForm(ImportForm):
    declaration = forms.ModelChoiceField(
        label=gettext_lazy("Intent declaration"),
        queryset=IntentDeclaration.objects.all(),
        help_text=gettext_lazy("The rows are imported into this declaration's current plan."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["import_file"].validators.append(SpreadsheetUploadValidator())
        if self.fields["declaration"].queryset.count() == 1:
            self.fields["declaration"].initial = self.fields["declaration"].queryset.get()


class ActivityConfirmImportForm(ConfirmImportForm):
    # The one import format (`ActivitySheet`), by its index as django-import-export posts it.
    format = forms.ChoiceField(choices=[("0", "0")], widget=forms.HiddenInput)
    declaration = forms.ModelChoiceField(
        queryset=IntentDeclaration.objects.all(), widget=forms.HiddenInput
    )


class ActivityImportMixin(ImportMixin):
    import_form_class = ActivityImportForm
    confirm_form_class = ActivityConfirmImportForm
    # The preview as a summary (counts, problems, changed cells, new rows; the unchanged rows
    # collapsed) instead of the library's table of every column of every row.
    import_template_name = "admin/plans/activity/import.html"

    def get_import_formats(self):
        return [ActivitySheet]

    def has_import_permission(self, request):
        return permissions.can_import(request.user)

    def get_import_resource_kwargs(self, request, **kwargs):
        form = kwargs.get("form")
        declaration = None
        if form is not None and form.is_bound and form.is_valid():
            declaration = form.cleaned_data.get("declaration")
        return {"declaration": declaration, "user": request.user}

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["declaration"] = import_form.cleaned_data["declaration"].pk
        return initial

    def get_import_data_kwargs(self, **kwargs):
        kwargs = super().get_import_data_kwargs(**kwargs)
        kwargs.pop("request", None)
        # The confirmed import re-reads the file: a row gone bad since the preview must still
        # stop the whole import. The rows keep their activities, so that the preview names a new
        # one by the code it will get.
        return {
            **kwargs,
            "use_transactions": True,
            "rollback_on_validation_errors": True,
            "retain_instance_in_row_result": True,
        }

    def import_action(self, request, **kwargs):
        # The uploaded file is kept (PendingUploadStorage) for this user only, and only when
        # the preview offers to confirm it: a refused preview (an unreadable file, errors in
        # rows or in the file as a whole) leaves nothing behind.
        with pending_uploads.on_behalf_of(request.user) as pending:
            response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None) or {}
        if context.get("confirm_form") is None:
            pending.discard_kept()
        result, form = context.get("result"), context.get("form")
        if result is not None and form is not None:
            resource = ActivityResource(declaration=form.cleaned_data["declaration"])
            resource.sheet = getattr(result, "sheet", None)
            outcome = resource.outcome(result)
            context["outcome"] = outcome
            if not result.base_errors:
                self._note_what_the_preview_read(request, outcome)
        return response

    def _note_what_the_preview_read(self, request, outcome) -> None:
        """Which sheet was read, and which activities the file leaves out (kept as they are)."""
        if outcome.sheet_name:
            messages.info(
                request,
                _("The sheet “%(sheet)s” was read: it has the columns of an activity sheet.")
                % {"sheet": outcome.sheet_name},
            )
        absent = outcome.absent
        if absent:
            messages.warning(
                request,
                _(
                    "In the plan but not in the file (they are kept as they are; an import "
                    "deletes nothing): %(activities)s"
                )
                % {"activities": "; ".join(absent)},
            )

    @method_decorator(require_POST)
    def process_import(self, request, **kwargs):
        if not self.has_import_permission(request):
            raise PermissionDenied
        token = request.POST.get("import_file_name", "")
        confirm_form = self.create_confirm_form(request)
        if confirm_form.is_valid() and pending_uploads.find(user=request.user, token=token) is None:
            messages.error(request, _("The preview has expired. Upload the file again."))
            return HttpResponseRedirect(request.path.replace("process_import/", "import/"))
        # import-export removes the file after an import that ran, but not when reading or
        # importing it raised; whatever the outcome, the file is not needed again.
        with pending_uploads.on_behalf_of(request.user):
            try:
                return super().process_import(request, **kwargs)
            except ValidationError as refused:
                for message in refused.messages:
                    messages.error(request, message)
                return HttpResponseRedirect(request.path.replace("process_import/", "import/"))
            finally:
                pending_uploads.discard(user=request.user, token=token)

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, ValidationError):
            # The reader only saw the stored bytes; name the file the user chose.
            upload = form.cleaned_data.get("import_file")
            for error in e.error_list:
                if upload is not None and error.params and "name" in error.params:
                    error.params = {**error.params, "name": upload.name}
                form.add_error("import_file", error.message % (error.params or {}))
        else:
            super().add_data_read_fail_error_to_form(form, e)

    def add_success_message(self, result, request):
        resource = ActivityResource()
        resource.sheet = getattr(result, "sheet", None)
        messages.success(
            request,
            _("The import is done. %(counts)s") % {"counts": resource.outcome(result).counts_line},
        )

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors() or result.base_errors:
            resource = ActivityResource()
            resource.sheet = getattr(result, "sheet", None)
            for problem in resource.describe_problems(result):
                messages.error(request, problem)
            messages.error(request, _("Nothing was imported."))
            return HttpResponseRedirect(request.path.replace("process_import/", "import/"))
        return super().process_result(result, request)
