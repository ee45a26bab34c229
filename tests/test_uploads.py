"""Imports from the browser: curators upload dumps (or zips of them), the real task worker
(`manage.py db_worker --batch`, django-tasks' own run-once entry point) imports them with the
command's service, and the import history lists every import, the command's too."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django_tasks_db.models import DBTaskResult

from archive.import_views import _progress
from archive.importer.run import import_paths
from archive.models import Article, ImportRun
from archive.uploads import ProgressFile, stored_paths
from tests.base import HOSTILE_DUMPS, PLAIN_DUMP, SEENTHIS_DUMP, make_users, run_import
from tests.e2e.helpers import LIVE_DB

pytestmark = LIVE_DB  # the worker commits, as it does in production


@pytest.fixture
def site(tmp_path, settings):
    settings.ARCHIVE_UPLOAD_DIR = tmp_path / "uploads"
    people = type("People", (), {})()
    make_users(people)
    people.uploads = settings.ARCHIVE_UPLOAD_DIR
    return people


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upload(client: Client, *files: tuple[str, bytes], status: int = 302):
    response = client.post(
        "/imports/new/",
        {"dumps": [SimpleUploadedFile(name, data) for name, data in files]},
    )
    assert response.status_code == status, response.content.decode()[:2000]
    return response


def run_worker() -> None:
    """The real worker: every task queued, then it exits."""
    call_command(
        "db_worker", batch=True, startup_delay=False, reload=False, interval=0, verbosity=0
    )


def the_dumps() -> list[tuple[str, bytes]]:
    return [
        (SEENTHIS_DUMP.name, SEENTHIS_DUMP.read_bytes()),
        ("plain.txt", PLAIN_DUMP.read_bytes()),
    ]


def snapshot() -> list:
    return list(Article.objects.order_by("external_key").values_list("external_key", "title"))


def visible(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_upload_of_the_real_dumps_runs_in_the_worker(site):
    alice = client_for(site.alice)
    response = upload(alice, *the_dumps())
    run = ImportRun.objects.get()
    assert response["Location"] == f"/imports/{run.pk}/"
    # Nothing is imported in the request: the run waits for the worker.
    assert run.status == ImportRun.Status.QUEUED and Article.objects.count() == 0
    page = visible(alice.get(f"/imports/{run.pk}/").content.decode())
    assert "waiting for the worker" in page and "0 / 2" in page
    status = alice.get(f"/imports/{run.pk}/status/").json()
    assert status["status"] == "queued" and not status["over"] and status["files_total"] == 2

    run_worker()

    run.refresh_from_db()
    assert run.status == ImportRun.Status.DONE, run.error
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    files = list(run.files.all())
    assert [f.name for f in files] == [SEENTHIS_DUMP.name, "plain.txt"]
    assert all(f.refused == "" for f in files)
    assert sum(f.new for f in files) == Article.objects.count() > 0
    # The articles name the file as uploaded, never where the server kept it.
    assert set(Article.objects.values_list("source_file", flat=True)) == {
        SEENTHIS_DUMP.name,
        "plain.txt",
    }
    assert set(files[0].new_articles) == set(
        Article.objects.filter(source_file=SEENTHIS_DUMP.name).values_list("pk", flat=True)
    )
    assert re.fullmatch(
        rf"2 file\(s\) imported, 0 refused: {Article.objects.count()} articles "
        rf"\({Article.objects.count()} new, 0 updated, 0 unchanged\), .* in \d+\.\d s",
        run.summary,
    )
    assert list(site.uploads.iterdir()) == []  # the stored dumps are gone
    status = alice.get(f"/imports/{run.pk}/status/").json()
    assert status["over"] and status["files_done"] == 2
    page = visible(alice.get(f"/imports/{run.pk}/").content.decode())
    assert run.summary in page and "import_progress.js" not in page
    # The history links each file to the articles it added.
    history = alice.get("/imports/").content.decode()
    link = f"/imports/files/{files[1].pk}/"
    assert link in history
    listing = alice.get(link).content.decode()
    plain = Article.objects.get(source_file="plain.txt")
    assert plain.get_absolute_url() in listing and "new" in listing

    # The same upload again: unchanged, recorded as a second import.
    upload(alice, *the_dumps())
    run_worker()
    second = ImportRun.objects.order_by("-pk").first()
    assert second.status == "done"
    assert [(f.new, f.updated) for f in second.files.all()] == [(0, 0), (0, 0)]
    assert sum(f.unchanged for f in second.files.all()) == Article.objects.count()


def test_a_refused_file_leaves_the_archive_as_it_was_and_says_where(site):
    run_import(SEENTHIS_DUMP)
    before = snapshot()
    alice = client_for(site.alice)
    upload(
        alice,
        ("broken.txt", (HOSTILE_DUMPS / "nul_bytes.txt").read_bytes()),
        ("reply.txt", (HOSTILE_DUMPS / "reply_without_post.txt").read_bytes()),
        ("picture.bin", (HOSTILE_DUMPS / "binary.bin").read_bytes()),
    )
    run_worker()
    run = ImportRun.objects.get(source="browser")
    assert run.status == "done"
    refused = [f.refused for f in run.files.all()]
    assert refused[0].startswith("broken.txt:") and re.match(r"broken\.txt:\d+: ", refused[0])
    assert re.match(r"reply\.txt:\d+: a reply", refused[1])
    assert refused[2].startswith("picture.bin:")
    assert snapshot() == before
    page = visible(client_for(site.alice).get(f"/imports/{run.pk}/").content.decode())
    assert visible(f"{refused[1]} (nothing from this file was kept)") in page
    assert str(site.uploads) not in page and "/tmp" not in page
    assert "0 file(s) imported, 3 refused" in run.summary


def test_the_command_s_imports_are_in_the_history(site):
    run_import(PLAIN_DUMP)
    run = ImportRun.objects.get()
    assert run.source == "command" and run.status == "done"
    assert [f.name for f in run.files.all()] == [str(PLAIN_DUMP)]
    page = visible(client_for(site.alice).get("/imports/").content.decode())
    assert "command line" in page and str(PLAIN_DUMP) in page


def test_progress_shows_the_file_being_imported(site):
    """While the worker imports, the status says which file, and how far into it."""
    alice = client_for(site.alice)
    upload(alice, ("one.txt", PLAIN_DUMP.read_bytes()), ("two.txt", SEENTHIS_DUMP.read_bytes()))
    run = ImportRun.objects.get()
    seen = []

    class Watching(ProgressFile):  # the real callback, and what the status says right after
        def __call__(self, name, done, total, posts):
            super().__call__(name, done, total, posts)
            seen.append(_progress(ImportRun.objects.get(pk=run.pk)))

    import_paths(
        stored_paths(run.upload_folder, run.uploaded),
        run=run,
        progress=Watching(run.upload_folder),
    )
    assert seen[0]["file"] == "one.txt" and seen[0]["files_done"] == 0
    assert seen[0]["bytes_done"] == seen[0]["bytes_total"] == len(PLAIN_DUMP.read_bytes())
    assert seen[-1]["file"] == "two.txt" and seen[-1]["files_done"] == 1
    assert seen[-1]["posts"] > 0


@pytest.mark.parametrize(
    ("limit", "files", "message"),
    [
        ("ARCHIVE_UPLOAD_MAX_FILE_BYTES", [("big.txt", b"x" * 2000)], "“big.txt” is 2.0"),
        ("ARCHIVE_UPLOAD_MAX_BYTES", [("a.txt", b"x" * 900), ("b.txt", b"x" * 900)], "upload is"),
        ("ARCHIVE_UPLOAD_MAX_FILES", [(f"{n}.txt", b"x") for n in range(3)], "3 files"),
    ],
)
def test_size_limits_refuse_the_upload_clearly(site, settings, limit, files, message):
    setattr(settings, limit, {"ARCHIVE_UPLOAD_MAX_FILES": 2}.get(limit, 1000))
    response = upload(client_for(site.alice), *files, status=400)
    assert message in visible(response.content.decode())
    assert not ImportRun.objects.exists() and not DBTaskResult.objects.exists()


def zipped(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_a_zip_of_dumps_is_imported_file_by_file(site):
    data = zipped(
        {"dumps/a.txt": SEENTHIS_DUMP.read_bytes(), "dumps/b.txt": PLAIN_DUMP.read_bytes()}
    )
    upload(client_for(site.alice), ("dumps.zip", data))
    run_worker()
    run = ImportRun.objects.get()
    assert [f.name for f in run.files.all()] == ["dumps.zip/dumps/a.txt", "dumps.zip/dumps/b.txt"]
    assert run.status == "done" and all(f.new > 0 for f in run.files.all())


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ({"../evil.txt": b"- x"}, "points outside its folder"),
        ({"/etc/evil.txt": b"- x"}, "points outside its folder"),
        ({"inner.zip": zipped({"a.txt": b"- x"})}, "zips inside a zip are not imported"),
        ({"inner.txt": zipped({"a.txt": b"- x"})}, "zips inside a zip are not imported"),
        ({f"{n}.txt": b"- x" for n in range(6)}, "it holds 6 members"),
        ({"bomb.txt": b"\0" * 200_000}, "once uncompressed it is"),
    ],
)
def test_zip_checks_refuse_clearly_before_anything_is_imported(site, settings, members, message):
    settings.ARCHIVE_UPLOAD_ZIP_MAX_MEMBERS = 5
    settings.ARCHIVE_UPLOAD_ZIP_MAX_BYTES = 100_000
    response = upload(client_for(site.alice), ("dumps.zip", zipped(members)), status=400)
    assert message in visible(response.content.decode())
    assert not ImportRun.objects.exists() and Article.objects.count() == 0
    assert not site.uploads.exists() or list(site.uploads.iterdir()) == []


def test_only_curators_upload_and_read_the_history(site):
    run_import(PLAIN_DUMP)
    run = ImportRun.objects.get()
    anonymous = Client()
    for url in ("/imports/", "/imports/new/", f"/imports/{run.pk}/", f"/imports/{run.pk}/status/"):
        assert anonymous.get(url).status_code == 302, url
        assert client_for(site.bob).get(url).status_code == 403, url
        assert client_for(site.charlie).get(url).status_code == 200, url
    assert client_for(site.bob).post("/imports/new/", {}).status_code == 403
    assert "/imports/" in client_for(site.alice).get("/").content.decode()
    assert "/imports/" not in client_for(site.bob).get("/").content.decode()


def test_the_upload_needs_its_csrf_token(site):
    client = Client(enforce_csrf_checks=True)
    client.force_login(site.alice)
    response = client.post(
        "/imports/new/", {"dumps": [SimpleUploadedFile("a.txt", PLAIN_DUMP.read_bytes())]}
    )
    assert response.status_code == 403
    assert not ImportRun.objects.exists()
    form = client.get("/imports/new/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    response = client.post(
        "/imports/new/",
        {
            "csrfmiddlewaretoken": token,
            "dumps": [SimpleUploadedFile("a.txt", PLAIN_DUMP.read_bytes())],
        },
    )
    assert response.status_code == 302 and ImportRun.objects.count() == 1


def test_status_is_json_without_cache(site):
    upload(client_for(site.alice), ("a.txt", PLAIN_DUMP.read_bytes()))
    run = ImportRun.objects.get()
    response = client_for(site.alice).get(f"/imports/{run.pk}/status/")
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    assert json.loads(response.content)["url"] == f"/imports/{run.pk}/"


def test_an_upload_far_too_large_is_refused_before_its_files_are_stored(site, settings):
    settings.ARCHIVE_UPLOAD_MAX_BYTES = 1000
    response = upload(client_for(site.alice), ("huge.txt", b"x" * 1_200_000), status=400)
    assert "The upload is 1.1" in visible(response.content.decode())
    assert not ImportRun.objects.exists() and not DBTaskResult.objects.exists()


def test_control_characters_in_names_never_reach_a_message(site):
    """Django drops them from an uploaded file's name; a zip member's name is refused."""
    alice = client_for(site.alice)
    upload(alice, ("bad\x1bname.txt", PLAIN_DUMP.read_bytes()))
    assert ImportRun.objects.get().uploaded[0]["name"] == "badname.txt"
    response = upload(alice, ("a.zip", zipped({"bad\x1bname.txt": b"- x"})), status=400)
    assert "control characters" in visible(response.content.decode())


def test_without_javascript_the_page_refreshes_itself_until_the_import_is_over(site):
    alice = client_for(site.alice)
    upload(alice, ("a.txt", PLAIN_DUMP.read_bytes()))
    run = ImportRun.objects.get()
    refresh = '<noscript><meta http-equiv="refresh" content="3"></noscript>'
    assert refresh in alice.get(f"/imports/{run.pk}/").content.decode()
    run_worker()
    assert refresh not in alice.get(f"/imports/{run.pk}/").content.decode()


def test_the_import_pages_in_french(site):
    alice = client_for(site.alice)
    french = {"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9"}
    page = visible(alice.get("/imports/new/", **french).content.decode())
    assert "Importer des exports" in page and "Fichiers d’export, ou un zip de ceux-ci" in page
    run_import(PLAIN_DUMP)
    page = visible(alice.get("/imports/", **french).content.decode())
    assert "Historique des imports" in page and "ligne de commande" in page and "Inchangés" in page
    response = alice.post(
        "/imports/new/",
        {"dumps": [SimpleUploadedFile("a.zip", zipped({"../a.txt": b"x"}))]},
        **french,
    )
    assert "pointe hors de son dossier" in visible(response.content.decode())
