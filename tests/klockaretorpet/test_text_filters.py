"""Long words break where the language hyphenates them (soft hyphens from |hyphenate, since
Chromium on Linux has no hyphenation dictionaries), and a label on its own, a badge, starts
with a capital."""

from django.template import Context, Template
from django.utils import translation
from django.utils.html import escape
from django.utils.safestring import mark_safe

from plans.models import ActivityStatus


def render(source: str, **context) -> str:
    return Template(source).render(Context(context))


def hyphenated(value) -> str:
    return render("{% load hyphenation %}{{ value|hyphenate }}", value=value)


def test_a_long_swedish_word_breaks_between_its_syllables():
    with translation.override("sv"):
        html = hyphenated("Samhällsbyggnadskontoret")

    assert html == "Sam&shy;hälls&shy;bygg&shy;nads&shy;kon&shy;to&shy;ret"


def test_english_pages_break_words_the_english_way():
    with translation.override("en"):
        html = hyphenated("internationalization")

    assert html.replace("&shy;", "-") == "inter-na-tion-al-iz-a-tion"


def test_words_that_fit_a_column_are_left_whole():
    with translation.override("sv"):
        assert hyphenated("Läxhjälp för elever i kommunen") == "Läxhjälp för elever i kommunen"


def test_the_value_is_escaped_before_soft_hyphens_go_in():
    name = '<script>alert("Samhällsbyggnadskontoret")</script> & Ö'

    with translation.override("sv"):
        html = hyphenated(name)

    assert "<script>" not in html
    assert html.replace("&shy;", "") == escape(name)
    assert "&shy;" in html


def test_safe_html_keeps_its_tags_and_attributes_whole():
    link = mark_safe('<a href="/organisationer/samhallsbyggnadskontoret">Kulturförvaltningen</a>')

    with translation.override("sv"):
        html = hyphenated(link)

    assert html.startswith('<a href="/organisationer/samhallsbyggnadskontoret">')
    assert html.endswith("</a>")
    assert html.replace("&shy;", "") == link
    assert "&shy;" in html


def test_empty_values_stay_empty():
    assert hyphenated("") == ""


def test_a_badge_capitalises_its_label():
    with translation.override("sv"):
        html = render(
            "{% load labels %}{% badge label value %} "
            "{% badge plan_label 'draft' prefix='plan-' %}",
            label=ActivityStatus.ONGOING.label,
            value=ActivityStatus.ONGOING.value,
            plan_label="utkast <b>",
        )

    assert html == (
        '<span class="badge badge--ongoing">Pågående</span> '
        '<span class="badge badge--plan-draft">Utkast &lt;b&gt;</span>'
    )
