"""Read replicas for real: a PostgreSQL primary, a hot standby streaming from it
(`pg_basebackup -R`), and gunicorn serving the archive with DATABASE_REPLICA_URLS, checked
through HTTP requests.

Which database answered is seen in what a page shows: the standby's replay is paused
(pg_wal_replay_pause()) while the primary takes a write, so a page read from the standby lacks
it and a page read from the primary has it, whatever the machine's speed.

Runs on the PostgreSQL leg of the suite (it makes clusters of its own, from the same binaries);
skipped on SQLite, where replicas cannot be configured.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest
from django.db import connection

from tests.base import DEMO_DUMPS
from tests.pg_replication import ReplicatedPair, replicated_pair
from tests.webproc import Browser, gunicorn, make_curator, manage

if connection.vendor != "postgresql":
    pytest.skip(
        "read replicas are PostgreSQL standbys: tested in the PostgreSQL run",
        allow_module_level=True,
    )

# The standby stays in use however far it lags, and is checked once (at a server's first read):
# what a page shows then depends only on where it was read.
PATIENT = {
    "ARCHIVE_REPLICA_MAX_LAG_SECONDS": "3600",
    "ARCHIVE_REPLICA_CHECK_SECONDS": "3600",
    "ARCHIVE_READ_YOUR_WRITES_SECONDS": "7200",
}
# The standby is skipped once it lags more than a second.
STRICT = {
    "ARCHIVE_REPLICA_MAX_LAG_SECONDS": "1",
    "ARCHIVE_REPLICA_CHECK_SECONDS": "1",
    "ARCHIVE_READ_YOUR_WRITES_SECONDS": "2",
}
WROTE_COOKIE = "archive_wrote"


class Archive:
    def __init__(self, pair: ReplicatedPair) -> None:
        self.pair = pair
        self.env = {
            "DATABASE_URL": pair.primary.url,
            "DATABASE_REPLICA_URLS": pair.standby.url,
        }
        self.article = pair.primary.value("SELECT min(id) FROM archive_article")

    @property
    def article_page(self) -> str:
        return f"/articles/{self.article}/"

    def serve(self, timings: dict):
        return gunicorn({**self.env, **timings})

    def note_count(self, server, text: str) -> int:
        return server.value("SELECT count(*) FROM annotations_commentary WHERE text = %s", [text])


@pytest.fixture(scope="module")
def archive():
    with replicated_pair() as pair:
        # Everything reaches the standby by streaming: it was copied from an empty database.
        env = {"DATABASE_URL": pair.primary.url}
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "import_dump", str(DEMO_DUMPS), "--no-progress")
        make_curator(env)
        pair.catch_up()
        yield Archive(pair)


@pytest.fixture(autouse=True)
def both_running_and_caught_up(archive):
    """Each test starts, and leaves the next one, with both servers up and replaying."""
    pair = archive.pair
    yield
    pair.primary.start()
    pair.standby.start()
    pair.resume_replay()
    pair.catch_up()


def curator_browser(archive: Archive, port: int) -> Browser:
    """A logged-in curator whose session has reached the standby, reading from it again."""
    curator = Browser(port)
    curator.log_in()
    archive.pair.catch_up()
    curator.cookies.pop(WROTE_COOKIE)
    return curator


def new_note_text() -> str:
    """A note whose last word is found in no other text."""
    word = "".join(chr(ord("k") + int(digit, 16)) for digit in uuid.uuid4().hex[:10])
    return f"A note written while replicas serve readers: {word}"


def search_finds(browser: Browser, archive: Archive, text: str) -> bool:
    page = browser.get(f"/search/?q={text.split()[-1]}")
    assert page.status == 200
    return f'href="/articles/{archive.article}/' in page.text


def test_anonymous_readers_read_from_the_standby_and_cached_pages_follow_it(archive):
    pair = archive.pair
    with archive.serve(PATIENT) as port:
        curator = curator_browser(archive, port)
        reader = Browser(port)
        assert reader.get(archive.article_page).status == 200  # read and cached, standby in use
        pair.pause_replay()
        text = new_note_text()
        saved = curator.post(f"{archive.article_page}notes/new/", {"text": text})
        assert saved.status == 200 and text in saved.text
        assert archive.note_count(pair.primary, text) == 1, "the write went to the primary"
        assert archive.note_count(pair.standby, text) == 0, "the standby lags behind"

        stale = reader.get(archive.article_page)
        assert stale.status == 200 and text not in stale.text, "read from the standby"

        pair.resume_replay()
        pair.catch_up()
        # The page kept while the standby lagged is kept under the standby's revision then: now
        # that the standby has the note, the page is read again and shows it.
        fresh = reader.get(archive.article_page)
        assert fresh.status == 200 and text in fresh.text


def test_a_curator_sees_their_own_note_while_the_standby_lags(archive):
    pair = archive.pair
    with archive.serve(PATIENT) as port:
        curator = curator_browser(archive, port)
        assert "Log out" in curator.get("/").text  # logged in, read from the standby
        pair.pause_replay()
        text = new_note_text()
        landed = curator.post(f"{archive.article_page}notes/new/", {"text": text})
        assert landed.status == 200 and text in landed.text
        assert WROTE_COOKIE in curator.cookies
        assert text in curator.get(archive.article_page).text, "later pages too"
        assert search_finds(curator, archive, text)

        # Without the cookie the same curator reads from the standby, which has no note yet.
        curator.cookies.pop(WROTE_COOKIE)
        elsewhere = curator.get(archive.article_page)
        assert "Log out" in elsewhere.text and text not in elsewhere.text
        # The cookie is signed: one made up by a visitor sends nobody to the primary.
        curator.cookies[WROTE_COOKIE] = "1"
        assert text not in curator.get(archive.article_page).text


def test_a_standby_lagging_beyond_the_bound_is_skipped(archive):
    pair = archive.pair
    with archive.serve(PATIENT) as patient_port:
        curator = curator_browser(archive, patient_port)
        reader = Browser(patient_port)
        assert reader.get(archive.article_page).status == 200  # the standby is checked: in use
        pair.pause_replay()
        text = new_note_text()
        curator.post(f"{archive.article_page}notes/new/", {"text": text})
        wrote = time.monotonic()
        assert text not in reader.get(archive.article_page).text  # the standby lags
        # More than a second behind from here on: its last replayed commit is older than the note.
        time.sleep(max(0.0, wrote + 1.5 - time.monotonic()))
        with archive.serve(STRICT) as strict_port:
            page = Browser(strict_port).get(archive.article_page)
            assert page.status == 200 and text in page.text, "read from the primary"


def test_the_standby_alone_answers_reads_and_searches_while_the_primary_is_down(archive):
    pair = archive.pair
    with archive.serve(PATIENT) as port:
        curator = curator_browser(archive, port)
        text = new_note_text()
        curator.post(f"{archive.article_page}notes/new/", {"text": text})
    pair.catch_up()
    documents = pair.primary.value("SELECT count(*) FROM archive_searchdoc")
    pair.primary.stop()

    # The search documents were written on the primary and streamed: none is computed on the
    # standby, which could not write one anyway.
    assert pair.standby.value("SELECT count(*) FROM archive_searchdoc") == documents
    # A server started now checks the standby with the primary away: it judges it by the WAL it
    # received, and reads from it.
    with archive.serve(PATIENT) as port:
        reader = Browser(port)
        for path in ("/", archive.article_page, "/tags/", "/api/articles/", "/feed/"):
            assert reader.get(path).status == 200, path
        assert search_finds(reader, archive, text)
        api = reader.get(f"/api/search/?q={text.split()[-1]}")
        assert api.status == 200
        assert [hit["id"] for hit in json.loads(api.text)["results"]] == [archive.article]
        assert json.loads(reader.get("/api/search/?q=surveillance").text)["count"] > 0


def test_reads_fail_over_to_the_primary_when_the_standby_stops(archive):
    pair = archive.pair
    with archive.serve(PATIENT) as port:
        curator = curator_browser(archive, port)
        reader = Browser(port)
        assert reader.get(archive.article_page).status == 200  # the standby is in use
        pair.pause_replay()
        text = new_note_text()
        curator.post(f"{archive.article_page}notes/new/", {"text": text})
        assert text not in reader.get(archive.article_page).text  # read from the standby
        pair.standby.stop()

        # The first read on the stopped standby fails and runs again on the primary; the next
        # ones skip the standby. No reader sees an error.
        for _ in range(3):
            page = reader.get(archive.article_page)
            assert page.status == 200 and text in page.text
        assert search_finds(reader, archive, text)
        assert reader.get("/api/articles/").status == 200

        # With the primary gone too, a reader is told to come back (archive/outage.py).
        pair.primary.stop()
        gone = reader.get(archive.article_page)
        assert gone.status == 503 and gone.headers["Retry-After"]
