"""Dumps uploaded by curators: checked against the limits, then stored for the background import.

Everything is checked before a byte is stored: how many files, each one's size and the upload's,
and in a zip its members (how many, their size once uncompressed, names that would climb out of
a folder, links, encrypted or nested zips). Files are stored under ARCHIVE_UPLOAD_DIR by number
(`<folder>/<n>.dump`), never by a name the curator chose; the name they uploaded is what every
message shows (ShownPath).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from archive.text import CONTROL_RE

ZIP_MAGIC = b"PK\x03\x04"
COPY_BYTES = 1 << 20
PROGRESS_FILE = "progress.json"
MAX_NAME_CHARS = 300
FORM_BYTES = 1 << 20  # what a request may hold besides its files' bytes (fields, part headers)


class UploadRefused(Exception):
    """The upload breaks a limit or holds something we do not import: the message says what."""


@dataclass(frozen=True)
class UploadLimits:
    file_bytes: int
    total_bytes: int
    files: int
    zip_members: int
    zip_bytes: int

    @classmethod
    def from_settings(cls) -> UploadLimits:
        return cls(
            file_bytes=settings.ARCHIVE_UPLOAD_MAX_FILE_BYTES,
            total_bytes=settings.ARCHIVE_UPLOAD_MAX_BYTES,
            files=settings.ARCHIVE_UPLOAD_MAX_FILES,
            zip_members=settings.ARCHIVE_UPLOAD_ZIP_MAX_MEMBERS,
            zip_bytes=settings.ARCHIVE_UPLOAD_ZIP_MAX_BYTES,
        )


class ShownPath(type(Path())):
    """A stored upload's path that names itself as the curator's file: `str()` (every message,
    warning and an article's source file) is the uploaded name, while opening and stat() reach
    the stored file (`os.fspath()`)."""

    shown = ""

    def __str__(self) -> str:
        return self.shown or super().__str__()

    def __fspath__(self) -> str:
        return super().__str__()


def shown_path(stored: Path, name: str) -> ShownPath:
    path = ShownPath(stored)
    path.shown = name
    return path


@dataclass
class _Planned:
    """A file to store: an upload, or a member of an uploaded zip."""

    name: str
    size: int
    upload: UploadedFile
    member: zipfile.ZipInfo | None = None


class UploadSizeLimit(FileUploadHandler):
    """First of the upload handlers (settings.FILE_UPLOAD_HANDLERS): a request larger than an
    upload may be has its files dropped unread, before Django writes them to disk, and is marked
    `upload_too_large` for the view to refuse (the form's fields, CSRF token first, are read)."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.too_large = content_length > settings.ARCHIVE_UPLOAD_MAX_BYTES + FORM_BYTES
        self.request.upload_too_large = self.too_large
        self.request.upload_bytes = content_length

    def new_file(self, *args, **kwargs):
        if self.too_large:
            raise StopUpload(connection_reset=False)

    def receive_data_chunk(self, raw_data, start):
        return raw_data

    def file_complete(self, file_size):
        return None


def refuse_too_large(request) -> None:
    """UploadRefused if UploadSizeLimit dropped the request's files."""
    if getattr(request, "upload_too_large", False):
        raise UploadRefused(
            _("The upload is %(size)s: it may be %(max)s at most.")
            % {
                "size": _size(request.upload_bytes),
                "max": _size(settings.ARCHIVE_UPLOAD_MAX_BYTES),
            }
        )


def _size(n: int) -> str:
    return str(filesizeformat(n))


def _check_name(name: str) -> str:
    if CONTROL_RE.search(name) or "\x00" in name:
        raise UploadRefused(_("A file name holds control characters: rename the file."))
    return name[-MAX_NAME_CHARS:]


def plan_upload(uploads: list[UploadedFile], limits: UploadLimits) -> list[_Planned]:
    """The files an upload brings, every limit checked; UploadRefused says which one it breaks."""
    if not uploads:
        raise UploadRefused(_("Choose one or more dump files (or a zip of them)."))
    if len(uploads) > limits.files:
        raise UploadRefused(
            _("%(count)d files: an upload may hold %(max)d at most.")
            % {"count": len(uploads), "max": limits.files}
        )
    total = sum(upload.size for upload in uploads)
    if total > limits.total_bytes:
        raise UploadRefused(
            _("The upload is %(size)s: it may be %(max)s at most.")
            % {"size": _size(total), "max": _size(limits.total_bytes)}
        )
    planned: list[_Planned] = []
    for upload in uploads:
        name = _check_name(os.path.basename(upload.name or "") or "upload")
        if upload.size > limits.file_bytes:
            raise UploadRefused(
                _("“%(name)s” is %(size)s: a file may be %(max)s at most.")
                % {"name": name, "size": _size(upload.size), "max": _size(limits.file_bytes)}
            )
        if _starts_with_zip(upload):
            planned += _plan_zip(name, upload, limits)
        else:
            planned.append(_Planned(name, upload.size, upload))
    return planned


def _starts_with_zip(upload: UploadedFile) -> bool:
    upload.seek(0)
    head = upload.read(len(ZIP_MAGIC))
    upload.seek(0)
    return head == ZIP_MAGIC


def _plan_zip(zip_name: str, upload: UploadedFile, limits: UploadLimits) -> list[_Planned]:
    def refuse(reason: str) -> UploadRefused:
        return UploadRefused(
            _("“%(name)s” is not imported: %(reason)s") % {"name": zip_name, "reason": reason}
        )

    try:
        archive = zipfile.ZipFile(upload)
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise refuse(_("this is not a zip file that can be read.")) from None
    if len(members) > limits.zip_members:
        raise refuse(
            _("it holds %(count)d members, a zip may hold %(max)d at most.")
            % {"count": len(members), "max": limits.zip_members}
        )
    uncompressed = sum(member.file_size for member in members)
    if uncompressed > limits.zip_bytes:
        raise refuse(
            _("once uncompressed it is %(size)s, a zip may hold %(max)s at most.")
            % {"size": _size(uncompressed), "max": _size(limits.zip_bytes)}
        )
    planned = []
    for member in members:
        name = member.filename
        _check_name(name)
        parts = PurePosixPath(name.replace("\\", "/")).parts
        if name.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
            raise refuse(_("the member “%(member)s” points outside its folder.") % {"member": name})
        if stat.S_ISLNK(member.external_attr >> 16):
            raise refuse(_("the member “%(member)s” is a link.") % {"member": name})
        if member.is_dir() or any(p.startswith(".") or p == "__MACOSX" for p in parts):
            continue  # folders, and hidden files as a folder's import skips them
        if member.flag_bits & 0x1:
            raise refuse(_("the member “%(member)s” is encrypted.") % {"member": name})
        if name.lower().endswith(".zip"):
            raise refuse(
                _("the member “%(member)s” is a zip: zips inside a zip are not imported.")
                % {"member": name}
            )
        if member.file_size > limits.file_bytes:
            raise refuse(
                _("the member “%(member)s” is %(size)s, a file may be %(max)s at most.")
                % {"member": name, "size": _size(member.file_size), "max": _size(limits.file_bytes)}
            )
        planned.append(_Planned(f"{zip_name}/{name}", member.file_size, upload, member))
    if not planned:
        raise refuse(_("it holds no file."))
    return planned


def store_upload(planned: list[_Planned]) -> tuple[str, list[dict]]:
    """Write the planned files into a new folder; (folder, [{"name", "stored"}]). A zip member
    that turns out larger than it said, or a zip itself, refuses the whole upload (nothing kept)."""
    folder = uuid.uuid4().hex
    root = Path(settings.ARCHIVE_UPLOAD_DIR) / folder
    root.mkdir(parents=True)
    stored = []
    try:
        for n, item in enumerate(planned):
            target = root / f"{n}.dump"
            if item.member is None:
                with open(target, "wb") as out:
                    for chunk in item.upload.chunks():
                        out.write(chunk)
            else:
                _extract(item, target)
            stored.append({"name": item.name, "stored": target.name})
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return folder, stored


def _extract(item: _Planned, target: Path) -> None:
    item.upload.seek(0)
    refused = UploadRefused(
        _("“%(name)s” is larger once uncompressed than its zip says: nothing is imported.")
        % {"name": item.name}
    )
    written = 0
    try:
        with zipfile.ZipFile(item.upload) as archive, archive.open(item.member) as source:
            with open(target, "wb") as out:
                while chunk := source.read(COPY_BYTES):
                    if written == 0 and chunk.startswith(ZIP_MAGIC):
                        raise UploadRefused(
                            _("“%(name)s” is a zip: zips inside a zip are not imported.")
                            % {"name": item.name}
                        )
                    written += len(chunk)
                    if written > item.size:
                        raise refused
                    out.write(chunk)
    except (zipfile.BadZipFile, OSError, EOFError) as error:  # a bad CRC, a cut-off member
        raise UploadRefused(
            _("“%(name)s” cannot be read from its zip (%(error)s): nothing is imported.")
            % {"name": item.name, "error": error}
        ) from None


def upload_root(folder: str) -> Path:
    return Path(settings.ARCHIVE_UPLOAD_DIR) / folder


def stored_paths(folder: str, uploaded: list[dict]) -> list[ShownPath]:
    root = upload_root(folder)
    return [shown_path(root / item["stored"], item["name"]) for item in uploaded]


def remove_upload(folder: str) -> None:
    if folder:
        shutil.rmtree(upload_root(folder), ignore_errors=True)


class ProgressFile:
    """The import's progress callback for an upload: where the file being imported is, written
    to a small file next to it (the web process reads it; the database cannot show it, the
    file's transaction being open)."""

    def __init__(self, folder: str) -> None:
        self.path = upload_root(folder) / PROGRESS_FILE

    def __call__(self, name: str, done: int, total: int, posts: int) -> None:
        state = {"stored": name, "bytes": done, "total": total, "posts": posts}
        partial = self.path.with_suffix(".tmp")
        partial.write_text(json.dumps(state), encoding="utf-8")
        os.replace(partial, self.path)  # readers see the old state or the new one, whole


def read_progress(folder: str) -> dict:
    try:
        return json.loads((upload_root(folder) / PROGRESS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
