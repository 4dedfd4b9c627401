"""The portal page where a plan administrator copies a declaration for another district."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import capfirst, slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from klockaretorpet import permissions
from strategies.models import District, IntentDeclaration

from .copying import copy_declaration, create_district, slug_taken_message


def _label(model: type, field: str) -> str:
    return capfirst(model._meta.get_field(field).verbose_name)


class DeclarationCopyForm(forms.Form):
    district = forms.ModelChoiceField(
        label=capfirst(District._meta.verbose_name),
        queryset=District.objects.all(),
        required=False,
        empty_label=gettext_lazy("– a new district, named below –"),
    )
    new_district_name = forms.CharField(
        label=gettext_lazy("Name of the new district"),
        max_length=District._meta.get_field("name").max_length,
        required=False,
        help_text=gettext_lazy("Only if the district is not in the list: it is created too."),
    )
    title = forms.CharField(
        label=_label(IntentDeclaration, "title"),
        max_length=IntentDeclaration._meta.get_field("title").max_length,
        help_text=gettext_lazy("For example “Avsiktsförklaring Hageby”."),
    )
    slug = forms.SlugField(
        label=_label(IntentDeclaration, "slug"),
        max_length=IntentDeclaration._meta.get_field("slug").max_length,
        required=False,
        help_text=gettext_lazy(
            "Lower-case letters, digits and hyphens, used in the web address. Leave empty to "
            "use the district's."
        ),
    )
    with_activities = forms.BooleanField(
        label=gettext_lazy("Copy the activities too"),
        required=False,
        help_text=gettext_lazy(
            "The current activity plan becomes a draft with the same reference codes, "
            "indicators, responsible organisations, success factors and programme goals. Every "
            "activity starts as planned."
        ),
    )
    keep_schedule = forms.BooleanField(
        label=gettext_lazy("Keep the activities' planned start and end"),
        required=False,
        help_text=gettext_lazy(
            "Otherwise the dates are left empty and only the schedule note is kept."
        ),
    )
    keep_indicator_values = forms.BooleanField(
        label=gettext_lazy("Keep the indicators' baseline and target values"),
        required=False,
        help_text=gettext_lazy(
            "Otherwise they are left empty: they were measured in, or set for, the district "
            "copied from."
        ),
    )

    def clean_new_district_name(self) -> str:
        name = self.cleaned_data["new_district_name"].strip()
        if not name:
            return name
        if not slugify(name):
            raise ValidationError(_("The name needs at least one letter or digit."))
        existing = District.objects.filter(Q(name__iexact=name) | Q(slug=slugify(name)))
        if existing.exists():
            raise ValidationError(
                _("There is already a district called “%(name)s”: choose it in the list.")
                % {"name": existing.first().name}
            )
        return name

    def clean(self):
        cleaned = super().clean()
        district, name = cleaned.get("district"), cleaned.get("new_district_name")
        if "new_district_name" not in cleaned or "district" not in cleaned:
            return cleaned
        if district is None and not name:
            self.add_error("district", _("Choose a district or name a new one."))
        elif district is not None and name:
            self.add_error(
                "new_district_name", _("Choose a district in the list or name a new one, not both.")
            )
        elif "slug" in cleaned:
            slug = cleaned["slug"] or (district.slug if district else slugify(name))
            cleaned["slug"] = slug
            if IntentDeclaration.objects.filter(slug=slug).exists():
                self.add_error("slug", slug_taken_message(slug))
        return cleaned

    def add_copy_errors(self, error: ValidationError) -> None:
        """Errors from the copy itself: beside the field they concern where the form has it."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for name, errors in error.error_dict.items():
            self.add_error(name if name in self.fields else None, errors)


def _new_district(data: dict, *, user) -> District:
    try:
        return create_district(name=data["new_district_name"], user=user)
    except ValidationError as error:
        # Taken meanwhile: the form checked the name a moment ago.
        raise ValidationError({"new_district_name": error.messages}) from None


@permissions.allowed_when(permissions.is_plan_admin)
def copy_declaration_view(request, slug):
    source = get_object_or_404(
        IntentDeclaration.objects.select_related("district").prefetch_related("partners"),
        slug=slug,
    )
    form = DeclarationCopyForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        data = form.cleaned_data
        try:
            # The new district, if any, and the copy are written together or not at all.
            with transaction.atomic():
                district = data["district"] or _new_district(data, user=request.user)
                declaration = copy_declaration(
                    source,
                    district=district,
                    slug=data["slug"],
                    title=data["title"],
                    user=request.user,
                    with_activities=data["with_activities"],
                    keep_schedule=data["keep_schedule"],
                    keep_indicator_values=data["keep_indicator_values"],
                )
        except ValidationError as error:
            form.add_copy_errors(error)
        else:
            messages.success(
                request,
                _(
                    "“%(title)s” was created as a copy of “%(source)s”. It is not published: "
                    "rewrite its texts for %(district)s first."
                )
                % {"title": declaration.title, "source": source.title, "district": district},
            )
            return redirect(declaration)
    return render(request, "plans/declaration_copy.html", {"declaration": source, "form": form})
