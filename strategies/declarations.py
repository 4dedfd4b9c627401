"""What the project's cross-cutting mechanisms need to know of this app: who works for which
organisation (the permission policy), which models the audit page shows and how, and where a
person's name may have been typed (the retention routine)."""

from klockaretorpet import audit, permissions, personal_data

from .models import (
    District,
    Goal,
    IntentDeclaration,
    Membership,
    Organisation,
    ProgrammeGoal,
    Strategy,
    SuccessFactor,
)


def organisations_of_user(user) -> frozenset[int]:
    root = Membership.objects.filter(user=user).values_list("organisation", flat=True).first()
    return frozenset() if root is None else Organisation.objects.ids_with_units(root)


def membership_label(record) -> str:
    return f"{record.user} – {record.organisation}"


def declare() -> None:
    permissions.declare_organisations_of_user(organisations_of_user)

    audited = [IntentDeclaration, Goal, Strategy, District, Organisation]
    for model in [*audited, SuccessFactor, ProgrammeGoal]:
        audit.declare_audited(model)
    audit.declare_audited(
        Membership, label_relations=["user", "organisation"], label=membership_label
    )
    # The audit page filters changes by the organisation their author works for.
    audit.declare_organisation_filter(
        organisations=Organisation.objects.all, user_lookup="membership__organisation"
    )

    # The declaration's prose could quote or thank a person by name. Names and titles are not
    # declared: they name organisations, districts and goals, never people.
    personal_data.declare_name_bearing_fields(
        IntentDeclaration,
        [
            "introduction",
            "programme_goals_introduction",
            "background",
            "vision",
            "goals_introduction",
            "implementation",
            "success_factors_introduction",
        ],
    )
    for model in (Goal, Strategy, SuccessFactor, ProgrammeGoal, District):
        personal_data.declare_name_bearing_fields(model, ["description"])
