"""The admin's activity form names every control as Chromium computes it for a screen reader
(WCAG 4.1.2, 1.3.1) and draws its inputs and focus so that they can be seen (1.4.11)."""

import pytest

from plans.models import Activity

from .conftest import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

# Roles a user operates or that group the options a user operates.
CONTROLS = {
    "textbox",
    "searchbox",
    "combobox",
    "listbox",
    "radiogroup",
    "group",
    "spinbutton",
    "checkbox",
    "radio",
    "button",
}


def ax_value(node: dict, key: str) -> str:
    return str((node.get(key) or {}).get("value") or "").strip()


def unnamed_controls(cdp) -> list[str]:
    nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    return [
        f"{ax_value(node, 'role')} (backend node {node.get('backendDOMNodeId')})"
        for node in nodes
        if not node.get("ignored")
        and ax_value(node, "role") in CONTROLS
        and not ax_value(node, "name")
    ]


def describe(page, cdp, unnamed: list[str]) -> str:
    # The outer HTML of each offender, so a failure says which control it is.
    described = []
    for entry in unnamed:
        backend_id = int(entry.rsplit(" ", 1)[1].rstrip(")"))
        remote = cdp.send("DOM.resolveNode", {"backendNodeId": backend_id})["object"]
        html = cdp.send(
            "Runtime.callFunctionOn",
            {
                "objectId": remote["objectId"],
                "functionDeclaration": "function () { return this.outerHTML.slice(0, 200); }",
                "returnByValue": True,
            },
        )["result"]["value"]
        described.append(f"{entry}: {html}")
    return "\n".join(described)


def ax_node(cdp, selector: str) -> dict:
    """Chromium's accessibility node of the first element matching `selector`."""
    document = cdp.send("DOM.getDocument", {"depth": 0})
    found = cdp.send(
        "DOM.querySelector", {"nodeId": document["root"]["nodeId"], "selector": selector}
    )
    assert found["nodeId"], f"nothing matches {selector}"
    nodes = cdp.send(
        "Accessibility.getPartialAXTree", {"nodeId": found["nodeId"], "fetchRelatives": False}
    )["nodes"]
    return nodes[0]


def ax_name(cdp, selector: str) -> str:
    return ax_value(ax_node(cdp, selector), "name")


def enclosing_group_name(page, cdp, selector: str) -> tuple[str, str]:
    """The role and name of the nearest group or radio group around the element."""
    page.locator(selector).first.evaluate(
        """element => {
            document.querySelectorAll('[data-test-group]').forEach(
                marked => marked.removeAttribute('data-test-group'));
            const group = element.closest(
                'fieldset, [role=group], [role=radiogroup], [role=listbox]');
            if (group) group.setAttribute('data-test-group', '');
        }"""
    )
    node = ax_node(cdp, "[data-test-group]")
    return ax_value(node, "role"), ax_value(node, "name")


def rgb(css: str) -> tuple[float, ...]:
    inside = css[css.index("(") + 1 : css.index(")")].replace(",", " ").replace("/", " ")
    return tuple(float(part) for part in inside.split()[:3])


def luminance(colour: tuple[float, ...]) -> float:
    def linear(channel: float) -> float:
        channel /= 255
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(channel) for channel in colour)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first: str, second: str) -> float:
    lighter, darker = sorted((luminance(rgb(first)), luminance(rgb(second))), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def background_of(page, selector: str) -> str:
    """The first opaque background at or behind the element."""
    return page.locator(selector).first.evaluate(
        """element => {
            for (let node = element; node; node = node.parentElement) {
                const colour = getComputedStyle(node).backgroundColor;
                if (colour !== 'transparent' && !/rgba\\(.*,\\s*0\\)$/.test(colour)) return colour;
            }
            return 'rgb(255, 255, 255)';
        }"""
    )


def assert_every_control_named(page, cdp):
    unnamed = unnamed_controls(cdp)
    assert unnamed == [], "controls without an accessible name:\n" + describe(page, cdp, unnamed)


def open_form(page, url: str):
    response = page.goto(url)
    assert response.status == 200, url
    # Django's autocomplete turns its selects into select2 comboboxes once the page has loaded.
    page.wait_for_selector(".select2-selection[role=combobox]")
    return page.context.new_cdp_session(page)


def test_every_control_of_the_activity_form_has_a_name(page, demo):
    activity = Activity.objects.filter(title__startswith="Exempel:").in_code_order().first()
    assert activity.indicators.exists()
    log_in(page, "planadmin")
    cdp = open_form(page, f"{page.base}/admin/plans/activity/{activity.pk}/change/")

    assert_every_control_named(page, cdp)

    # An autocomplete says which field it is, and then what is chosen in it.
    lead_name = ax_name(cdp, ".field-lead_organisation .select2-selection[role=combobox]")
    assert lead_name == f"Ansvarig organisation: {activity.lead_organisation}", lead_name
    plan_name = ax_name(cdp, ".field-plan .select2-selection[role=combobox]")
    assert plan_name.startswith("Aktivitetsplan"), plan_name
    strategy_name = ax_name(cdp, ".field-strategy .select2-selection[role=combobox]")
    assert strategy_name.startswith("Strategi"), strategy_name

    # The options of a choice are grouped under the field's name.
    assert enclosing_group_name(page, cdp, "input[name=activity_type]") == (
        "radiogroup",
        "Aktivitetstyp",
    )
    assert enclosing_group_name(page, cdp, "input[name=co_organisations]") == (
        "group",
        "Medansvariga organisationer",
    )

    # An indicator's inputs are named by their column, inside a group named for the indicator.
    rows = page.locator(".inline-related:not(.empty-form) input[name$='-name']")
    assert rows.count() == activity.indicators.count()
    for index in range(rows.count()):
        for field, label in [("name", "Namn"), ("unit", "Enhet"), ("target_value", "Målvärde")]:
            name = ax_name(cdp, f"#id_indicators-{index}-{field}")
            assert name.startswith(label), name
        selector = f"#id_indicators-{index}-name"
        assert enclosing_group_name(page, cdp, selector) == ("group", "Indikator")

    # Input borders are seen against the form (1.4.11: 3:1).
    title = "input#id_title"
    border = page.locator(title).evaluate("element => getComputedStyle(element).borderTopColor")
    assert contrast(border, background_of(page, "#content-main fieldset")) >= 3, border

    # A ticked box shows where the keyboard is.
    checkbox = page.locator("input[name=co_organisations]").first
    checkbox.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    focus = checkbox.evaluate(
        """element => {
            const style = getComputedStyle(element);
            return {
                focused: element.matches(':focus-visible'),
                outlineStyle: style.outlineStyle,
                outlineWidth: parseFloat(style.outlineWidth),
                outlineColor: style.outlineColor,
            };
        }"""
    )
    assert focus["focused"], focus
    assert focus["outlineStyle"] not in {"none", "hidden"}, focus
    assert focus["outlineWidth"] >= 2, focus
    assert contrast(focus["outlineColor"], "rgb(255, 255, 255)") >= 3, focus


def test_every_control_of_the_new_activity_form_has_a_name(page, demo):
    log_in(page, "planadmin")
    cdp = open_form(page, f"{page.base}/admin/plans/activity/add/")

    assert_every_control_named(page, cdp)
    name = ax_name(cdp, ".field-lead_organisation .select2-selection[role=combobox]")
    assert name.startswith("Ansvarig organisation"), name


def test_indicator_rows_added_in_the_browser_are_named_too(page, demo):
    activity = Activity.objects.filter(title__startswith="Exempel:").in_code_order().first()
    existing = activity.indicators.count()
    log_in(page, "planadmin")
    cdp = open_form(page, f"{page.base}/admin/plans/activity/{activity.pk}/change/")
    add = page.get_by_role("button", name="Lägg till ytterligare Indikator")
    add.click()
    add.click()

    assert_every_control_named(page, cdp)
    for index in [existing, existing + 1]:
        name = f"#id_indicators-{index}-name"
        assert enclosing_group_name(page, cdp, name) == ("group", "Indikator")
        # The copied row's help text and group name point at the row's own elements.
        for attribute in ["aria-describedby", "aria-labelledby"]:
            for element in page.locator(f"#indicators-{index} [{attribute}]").all():
                for reference in element.get_attribute(attribute).split():
                    assert page.locator(f"#indicators-{index} [id='{reference}']").count() == 1
