"""The follow-up round's admin page on a 1366 px laptop: its own fields and links, no report
per activity, nothing sideways, nothing serious for axe."""

import pytest

from followup.models import FollowUp

from .conftest import log_in
from .test_accessibility import violations_of

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.mark.parametrize("state", ["open", "closed"])
def test_a_rounds_admin_page_fits_a_laptop_screen(page, demo, state):
    follow_up = FollowUp.objects.filter(state=state).first()
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, "planadmin")

    url = f"{page.base}/admin/followup/followup/{follow_up.pk}/change/"
    assert violations_of(page, url) == []

    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # A screen and a half at most, however many activities the round has.
    assert page.evaluate("document.documentElement.scrollHeight") < 1.5 * 768
    page.get_by_role("link", name="rapporten (PDF)").wait_for()
    round_page = page.locator(f'a[href="/uppfoljningar/{follow_up.pk}/"]')
    assert round_page.count() >= 1
