"""Curators' import screens: upload dumps (imported in the background), follow an import, the
import history (the command's imports too) and the articles each file added or changed."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from annotations.decorators import importer_required
from archive.import_tasks import import_upload
from archive.importer.history import stop_runs_whose_process_is_gone
from archive.models import Article, ImportedFile, ImportRun
from archive.pagination import page_number, paginate
from archive.uploads import (
    UploadLimits,
    UploadRefused,
    plan_upload,
    read_progress,
    refuse_too_large,
    remove_upload,
    store_upload,
)

RUNS_PER_PAGE = 20
ARTICLES_PER_PAGE = 50


@importer_required
@require_http_methods(["GET", "HEAD", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    limits = UploadLimits.from_settings()
    error = ""
    if request.method == "POST":
        try:
            refuse_too_large(request)
            planned = plan_upload(request.FILES.getlist("dumps"), limits)
            folder, stored = store_upload(planned)
        except UploadRefused as refused:
            error = str(refused)
        else:
            try:
                with transaction.atomic():
                    run = ImportRun.objects.create(
                        source=ImportRun.Source.BROWSER,
                        user=request.user,
                        who=request.user.get_username(),
                        files_total=len(stored),
                        upload_folder=folder,
                        uploaded=stored,
                    )
                    import_upload.enqueue(run.pk)  # the worker sees it once this commits
            except BaseException:
                remove_upload(folder)
                raise
            return redirect("import_run", run.pk)
    return render(
        request,
        "archive/import_upload.html",
        {"limits": limits, "error": error},
        status=400 if error else 200,
    )


def _progress(run: ImportRun) -> dict:
    """Where an import is: files done of the total, and the current file's bytes and posts."""
    stop_runs_whose_process_is_gone([run])
    done = run.files.count()
    state = {
        "status": run.status,
        "over": run.is_over,
        "files_done": done,
        "files_total": run.files_total,
        "file": "",
        "bytes_done": 0,
        "bytes_total": 0,
        "posts": 0,
    }
    if run.status == ImportRun.Status.RUNNING and done < len(run.uploaded):
        current = run.uploaded[done]
        state["file"] = current["name"]
        progress = read_progress(run.upload_folder)
        if progress.get("stored") == current["stored"]:
            state["bytes_done"] = progress.get("bytes", 0)
            state["bytes_total"] = progress.get("total", 0)
            state["posts"] = progress.get("posts", 0)
    return state


@importer_required
@require_safe
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(ImportRun, pk=pk)
    files = list(run.files.defer("new_articles", "updated_articles"))
    return render(
        request,
        "archive/import_run.html",
        {
            "run": run,
            "files": files,
            "progress": _progress(run),
            "totals": {
                name: sum(getattr(f, name) for f in files)
                for name in ("new", "updated", "unchanged", "replies", "reanchored", "lost")
            },
            "refused": [f for f in files if f.refused],
        },
    )


@importer_required
@require_safe
def run_status(request: HttpRequest, pk: int) -> JsonResponse:
    run = get_object_or_404(ImportRun.objects.defer("summary"), pk=pk)
    state = _progress(run)
    state["url"] = reverse("import_run", args=[run.pk])
    return JsonResponse(state, headers={"Cache-Control": "no-store"})


@importer_required
@require_safe
def history(request: HttpRequest) -> HttpResponse:
    page = paginate(
        ImportRun.objects.defer("uploaded", "summary").prefetch_related(_files_without_ids()),
        page_number(request),
        RUNS_PER_PAGE,
        counted=False,
    )
    stop_runs_whose_process_is_gone(page.items)
    return render(request, "archive/import_history.html", {"page": page})


def _files_without_ids() -> Prefetch:
    return Prefetch(
        "files", queryset=ImportedFile.objects.defer("new_articles", "updated_articles")
    )


@importer_required
@require_safe
def file_articles(request: HttpRequest, pk: int) -> HttpResponse:
    imported = get_object_or_404(ImportedFile.objects.select_related("run"), pk=pk)
    ids = [("new", pk) for pk in imported.new_articles]
    ids += [("updated", pk) for pk in imported.updated_articles]
    page = paginate(ids, page_number(request), ARTICLES_PER_PAGE, count=len(ids))
    found = Article.objects.only("title", "created").in_bulk([pk for _, pk in page.items])
    page.items = [(change, found.get(pk), pk) for change, pk in page.items]
    return render(request, "archive/imported_file.html", {"imported": imported, "page": page})
