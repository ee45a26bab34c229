"""A curator uploads a dump: the import's page shows its progress while the worker has not run,
follows it as JSON, and shows the summary by itself once the worker has imported the file."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.base import DEMO_DUMPS
from tests.e2e.helpers import LIVE_DB, log_in

pytestmark = [pytest.mark.browser, LIVE_DB]

DUMP = DEMO_DUMPS / "demo_seenthis_export.txt"


def test_curator_uploads_a_dump_and_sees_progress_then_the_summary(
    page, archive, shot, settings, tmp_path
):
    settings.ARCHIVE_UPLOAD_DIR = tmp_path / "uploads"
    log_in(page, archive.url, "alice")
    page.locator("details.curate summary").click()  # the curators' links
    page.get_by_role("link", name="Imports").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import history")
    page.get_by_role("link", name="Import dumps").click()
    page.get_by_label("Dump files, or a zip of them").set_input_files(str(DUMP))
    shot(page, "1-upload-form")
    page.get_by_role("button", name="Import").click()

    # Queued: nothing imported yet, the bars at zero, the page asking for its status.
    expect(page).to_have_url(re.compile(r"/imports/\d+/$"))
    progress = page.locator("#import-progress")
    expect(progress).to_contain_text("0 / 1")
    expect(page.locator("main .meta")).to_contain_text("waiting for the worker")
    expect(page.locator("#progress-files")).to_have_attribute("value", "0")
    with page.expect_response(re.compile(r"/imports/\d+/status/$")) as polled:
        pass
    assert polled.value.json()["status"] == "queued"
    shot(page, "2-queued")

    # The real worker runs the task; the page sees the import is over and shows the summary.
    call_command(
        "db_worker", batch=True, startup_delay=False, reload=False, interval=0, verbosity=0
    )
    expect(page.get_by_role("heading", name="Summary")).to_be_visible()
    expect(page.locator("#import-progress")).to_have_count(0)
    expect(page.locator(".import-summary")).to_contain_text("1 file(s) imported, 0 refused")
    row = page.locator("table.imported-files tbody tr")
    expect(row).to_have_count(1)
    expect(row.get_by_role("link", name=DUMP.name)).to_be_visible()
    expect(page.locator("main .meta")).to_contain_text("done")
    shot(page, "3-summary")

    row.get_by_role("link", name=DUMP.name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(DUMP.name)
    expect(page.locator(".imported-articles li").first).to_contain_text("new")
