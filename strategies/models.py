"""The strategic framework of an avsiktsförklaring: vision → målbilder → strategier.

Nothing here knows about activity plans or follow-ups; those apps build on this one.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from klockaretorpet.concurrency import VersionedModel
from klockaretorpet.plain_text import PlainCharField, PlainTextField


class SlugNaturalKeyManager(models.Manager):
    def get_by_natural_key(self, slug: str):
        return self.get(slug=slug)


class District(models.Model):
    name = PlainCharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = PlainTextField(
        _("description"),
        max_length=3000,
        blank=True,
        help_text=_("Facts about the district: residents, households, history."),
    )

    history = HistoricalRecords()
    objects = SlugNaturalKeyManager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("strategies:district-detail", kwargs={"slug": self.slug})

    def natural_key(self) -> tuple[str]:
        return (self.slug,)


class OrganisationKind(models.TextChoices):
    MUNICIPALITY = "municipality", _("municipality")
    MUNICIPAL_COMPANY = "municipal_company", _("municipal company")
    ADMINISTRATION = "administration", _("municipal administration")
    POLICE = "police", _("police")
    REGION = "region", _("region")
    CIVIL_SOCIETY = "civil_society", _("civil society")
    BUSINESS = "business", _("business")
    OTHER = "other", _("other")


class OrganisationManager(models.Manager):
    def get_by_natural_key(self, name: str):
        return self.get(name=name)

    def ids_with_units(self, organisation_id: int) -> frozenset[int]:
        """The organisation and every unit below it, at any depth, in one query: an editor
        at the kommun works for its administrations too."""
        children: dict[int | None, list[int]] = {}
        for pk, parent in self.values_list("pk", "parent"):
            children.setdefault(parent, []).append(pk)
        found: set[int] = set()
        pending = [organisation_id]
        while pending:
            current = pending.pop()
            if current not in found:
                found.add(current)
                pending.extend(children.get(current, []))
        return frozenset(found)


class Organisation(models.Model):
    """A partner of a declaration or a party responsible for activities."""

    name = PlainCharField(_("name"), max_length=150, unique=True)
    short_name = PlainCharField(
        _("short name"),
        max_length=40,
        blank=True,
        help_text=_("Used in tables and Excel sheets, e.g. “HBN”."),
    )
    kind = models.CharField(
        _("kind"), max_length=30, choices=OrganisationKind, default=OrganisationKind.OTHER
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="units",
        help_text=_("For an administration: the municipality or company it belongs to."),
    )

    history = HistoricalRecords()
    objects = OrganisationManager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.name,)

    @property
    def display_name(self) -> str:
        return self.short_name or self.name


class Membership(models.Model):
    """Which organisation a staff member works for; decides what they may edit."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="membership",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="memberships",
        help_text=_(
            "Editors may change activities where this organisation, or one of its units, is "
            "the lead or a co-responsible organisation."
        ),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["organisation_id", "user_id"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} – {self.organisation}"


class IntentDeclaration(VersionedModel):
    """An avsiktsförklaring: the long-term development plan for one district."""

    district = models.ForeignKey(
        District,
        verbose_name=_("district"),
        on_delete=models.PROTECT,
        related_name="declarations",
    )
    slug = models.SlugField(
        _("slug"),
        max_length=100,
        unique=True,
        help_text=_("Used in web addresses and by management commands (--declaration)."),
    )
    title = PlainCharField(_("title"), max_length=200)
    adopted_on = models.DateField(
        _("adopted"), null=True, blank=True, help_text=_("The month the declaration was adopted.")
    )
    introduction = PlainTextField(
        _("introduction"),
        max_length=10000,
        blank=True,
        help_text=_("Who made the declaration and why."),
    )
    programme_goals_introduction = PlainTextField(
        _("introduction to the programme goals"), max_length=10000, blank=True
    )
    background = PlainTextField(_("background"), max_length=10000, blank=True)
    vision = PlainTextField(_("vision"), max_length=2000)
    goals_introduction = PlainTextField(
        _("introduction to the goals"), max_length=10000, blank=True
    )
    implementation = PlainTextField(
        _("implementation and follow-up"),
        max_length=10000,
        blank=True,
        help_text=_("How the activity plan is made, carried out and followed up."),
    )
    success_factors_introduction = PlainTextField(
        _("introduction to the critical success factors"), max_length=10000, blank=True
    )
    partners = models.ManyToManyField(
        Organisation,
        verbose_name=_("partners"),
        related_name="declarations",
        blank=True,
    )
    is_published = models.BooleanField(
        _("published"),
        default=False,
        help_text=_("Show a read-only public page of the declaration to residents."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords(m2m_fields=[partners])
    objects = SlugNaturalKeyManager()

    class Meta:
        ordering = ["district_id", "title"]
        verbose_name = _("intent declaration")
        verbose_name_plural = _("intent declarations")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        # The declaration page shows the activity plan too, so the plans app serves it.
        return reverse("plans:declaration-detail", kwargs={"slug": self.slug})

    def natural_key(self) -> tuple[str]:
        return (self.slug,)


class GoalManager(models.Manager):
    def get_by_natural_key(self, declaration_slug: str, position: int):
        return self.get(declaration__slug=declaration_slug, position=position)


class Goal(VersionedModel):
    """A målbild: a thematic target picture of the declaration."""

    declaration = models.ForeignKey(
        IntentDeclaration,
        verbose_name=_("intent declaration"),
        on_delete=models.PROTECT,
        related_name="goals",
    )
    position = models.PositiveSmallIntegerField(
        _("number"), help_text=_("1, 2, 3 …: the first part of activity reference codes.")
    )
    title = PlainCharField(_("title"), max_length=200)
    description = PlainTextField(_("description"), max_length=3000, blank=True)

    history = HistoricalRecords()
    objects = GoalManager()

    class Meta:
        ordering = ["declaration_id", "position"]
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        constraints = [
            models.UniqueConstraint(
                fields=["declaration", "position"],
                name="goal_unique_position_per_declaration",
                violation_error_message=_("The declaration already has a goal with this number."),
            ),
            models.CheckConstraint(
                condition=models.Q(position__gte=1), name="goal_position_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"

    def get_absolute_url(self) -> str:
        return reverse(
            "plans:goal-detail",
            kwargs={"slug": self.declaration.slug, "position": self.position},
        )

    def natural_key(self) -> tuple[str, int]:
        return (*self.declaration.natural_key(), self.position)

    natural_key.dependencies = ["strategies.intentdeclaration"]


class StrategyQuerySet(models.QuerySet):
    def in_tree_order(self) -> "StrategyQuerySet":
        return self.select_related("goal__declaration").order_by(
            "goal__declaration__title", "goal__position", "position"
        )


class StrategyManager(models.Manager.from_queryset(StrategyQuerySet)):
    def get_by_natural_key(self, declaration_slug: str, goal_position: int, position: int):
        return self.get(
            goal__declaration__slug=declaration_slug,
            goal__position=goal_position,
            position=position,
        )


class Strategy(VersionedModel):
    """How a målbild is reached."""

    goal = models.ForeignKey(
        Goal, verbose_name=_("goal"), on_delete=models.PROTECT, related_name="strategies"
    )
    position = models.PositiveSmallIntegerField(
        _("number"),
        help_text=_("1, 2, 3 … within the goal: the second part of activity reference codes."),
    )
    title = PlainCharField(_("title"), max_length=200)
    description = PlainTextField(_("description"), max_length=3000, blank=True)

    history = HistoricalRecords()
    objects = StrategyManager()

    class Meta:
        ordering = ["goal_id", "position"]
        verbose_name = _("strategy")
        verbose_name_plural = _("strategies")
        constraints = [
            models.UniqueConstraint(
                fields=["goal", "position"],
                name="strategy_unique_position_per_goal",
                violation_error_message=_("The goal already has a strategy with this number."),
            ),
            models.CheckConstraint(
                condition=models.Q(position__gte=1), name="strategy_position_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return f"{self.goal.get_absolute_url()}#strategi-{self.goal.position}-{self.position}"

    def natural_key(self) -> tuple[str, int, int]:
        return (*self.goal.natural_key(), self.position)

    natural_key.dependencies = ["strategies.goal"]

    @property
    def number(self) -> str:
        """“2.1”: målbild and strategy, the prefix of its activities' reference codes."""
        return f"{self.goal.position}.{self.position}"


class ReferenceListItem(models.Model):
    """A short shared list every declaration refers to (success factors, programme goals)."""

    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    title = PlainCharField(_("title"), max_length=200)
    description = PlainTextField(_("description"), max_length=3000, blank=True)

    objects = SlugNaturalKeyManager()

    class Meta:
        abstract = True
        ordering = ["position", "title"]

    def __str__(self) -> str:
        return self.title

    def natural_key(self) -> tuple[str]:
        return (self.slug,)


class SuccessFactor(ReferenceListItem):
    """A kritisk framgångsfaktor: boendekraft, kommunikation, brottsprevention."""

    history = HistoricalRecords()

    class Meta(ReferenceListItem.Meta):
        verbose_name = _("critical success factor")
        verbose_name_plural = _("critical success factors")


class ProgrammeGoal(ReferenceListItem):
    """A målsättning shared by every district of Samverkan Fler kan mer."""

    history = HistoricalRecords()

    class Meta(ReferenceListItem.Meta):
        verbose_name = _("programme goal")
        verbose_name_plural = _("programme goals")
