"""The naive baseline for `benchmarks/import_export.py`: django-import-export used plainly.

A `ModelResource` for `Activity` with the library's own widgets: `ForeignKeyWidget` lookups
(strategy by title, lead organisation by name) and a `ManyToManyWidget` for the co-responsible
organisations by name. No caching, the default instance loader (one query per row), no
`skip_unchanged`, `reference_code` as the import id. It reads and writes the same columns as the
portal's sheet, by the same (Swedish) headers; the portal's other columns are ignored.
"""

from __future__ import annotations

import re

from import_export import fields, resources, widgets

from plans.models import Activity
from strategies.models import Organisation, Strategy

# The portal exports a strategy as “1.2 Title”; a title lookup needs the title alone.
STRATEGY_NUMBER = re.compile(r"^\s*\d+\.\d+\s+")

# Resource field name -> the portal's field of the same column (ActivityResource.Meta.fields).
COLUMNS = (
    "reference_code",
    "strategy",
    "title",
    "description",
    "lead_organisation",
    "co_organisations",
    "responsible_unit",
    "schedule_note",
    "measurability",
)


class StrategyByTitleWidget(widgets.ForeignKeyWidget):
    """`ForeignKeyWidget(Strategy, field="title")`, reading past the “1.2 ” prefix."""

    def get_lookup_kwargs(self, value, row, **kwargs):
        return {self.field: STRATEGY_NUMBER.sub("", str(value))}


def naive_resource_class(headers: dict[str, str]) -> type[resources.ModelResource]:
    """A plain `ModelResource`; `headers` maps each name in `COLUMNS` to its sheet header."""

    def text(name):
        return fields.Field(attribute=name, column_name=headers[name], widget=widgets.CharWidget())

    class NaiveActivityResource(resources.ModelResource):
        reference_code = text("reference_code")
        strategy = fields.Field(
            attribute="strategy",
            column_name=headers["strategy"],
            widget=StrategyByTitleWidget(Strategy, field="title"),
        )
        title = text("title")
        description = text("description")
        lead_organisation = fields.Field(
            attribute="lead_organisation",
            column_name=headers["lead_organisation"],
            widget=widgets.ForeignKeyWidget(Organisation, field="name"),
        )
        co_organisations = fields.Field(
            attribute="co_organisations",
            column_name=headers["co_organisations"],
            widget=widgets.ManyToManyWidget(Organisation, field="name", separator=";"),
        )
        responsible_unit = text("responsible_unit")
        schedule_note = text("schedule_note")
        measurability = text("measurability")

        class Meta:
            model = Activity
            fields = export_order = COLUMNS
            import_id_fields = ("reference_code",)

        def __init__(self, *, user=None, plan=None, **kwargs):
            super().__init__(**kwargs)
            self.user = user
            self.plan = plan

        def init_instance(self, row=None):
            # A new row belongs to the plan imported into (the sheet has no plan column).
            return Activity(plan=self.plan)

        def before_save_instance(self, instance, row, **kwargs):
            # As in the portal: the history record names who imported.
            instance._history_user = self.user

    return NaiveActivityResource
