"""Opening a dump as text: encodings, BOM, line endings, binary and empty files.

A file is read once. It is decoded as UTF-8 while it is parsed; bytes that are not UTF-8 are
replaced by "�" and remembered with their line. At the end of the file:
- no bad bytes: UTF-8;
- a few bad bytes in a UTF-8 file (fewer than the extra bytes of its valid non-ASCII characters):
  still UTF-8, with a warning naming each line where a byte was replaced;
- more bad bytes than that: the file as a whole is not UTF-8. The import
  of the file is undone (LegacyEncoding) and it is read again as cp1252, or latin-1 when it holds
  bytes cp1252 leaves undefined, with a warning.

Control characters (text.CONTROL_RE: ESC, VT, BS…) are removed from every line, with a warning
naming each line; a NUL refuses the file. A line longer than a post may be is refused.

A file that changes while it is imported (a dump still being written) is refused: its size,
times and identity when the import opened it, and a hash of every byte read, are checked again
once it has been read (check_unchanged).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from archive.importer.errors import DumpError
from archive.importer.limits import MAX_POST_CHARS, megabytes
from archive.text import CONTROL_RE, control_names

SNIFF_BYTES = 8192
PIECE_BYTES = 1 << 16  # read and decoded at a time
WARNED_LINES = 20  # lines named in a warning at most, then how many more
UTF8 = "utf-8"
_BAD = re.compile("[\udc80-\udcff]")  # bytes that were not UTF-8 (surrogateescape)
_CP1252_UNDEFINED = {0x81, 0x8D, 0x8F, 0x90, 0x9D}
_NEWLINE = re.compile(r"\r\n|\r|\n")
CHANGED = (
    "the file changed while it was being imported (is something still writing it?); "
    "import it again once it is complete"
)


class LegacyEncoding(Exception):
    """The file, read to its end as UTF-8, is not UTF-8: read it again in `encoding`."""

    def __init__(self, source: TextSource, encoding: str, line: int):
        super().__init__(f"{source.path} is not UTF-8")
        self.retry = TextSource(
            path=source.path,
            encoding=encoding,
            size=source.size,
            state=source.state,  # as first opened: a change between the two reads counts
            warnings=[f"{source.path}: not UTF-8 (near line {line}); read as {encoding}"],
        )


@dataclass(frozen=True)
class FileState:
    """What tells that a file changed: which file it is, its size, its times."""

    device: int
    inode: int
    size: int
    modified_ns: int
    changed_ns: int

    @classmethod
    def of(cls, stat: os.stat_result) -> FileState:
        return cls(stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


@dataclass
class TextSource:
    path: Path
    encoding: str
    size: int
    state: FileState | None = None  # when open_dump() opened it
    warnings: list[str] = field(default_factory=list)
    done: int = 0  # bytes read so far
    digest: object = field(default_factory=hashlib.sha256)  # of the bytes read so far

    def pieces(self) -> Iterator[tuple[int, str]]:
        """(line number where it starts, text): the file's text, a block at a time.

        Line numbers count LF, CRLF and lone CR endings alike, as lines() does.
        """
        if self.encoding != UTF8:
            yield from self._legacy_pieces()
            return
        bad_lines: list[int] = []
        bad_count = multibyte = 0
        undefined_in_cp1252 = False
        line, tail, pending_cr = 1, b"", False
        with open(self.path, "rb") as handle:
            while raw := handle.read(PIECE_BYTES):
                self.done += len(raw)
                self.digest.update(raw)
                data, tail = _split_incomplete(tail + raw)  # a character may go on in the next
                if not data:
                    continue
                try:
                    text = data.decode(UTF8)
                except UnicodeDecodeError:
                    text = data.decode(UTF8, "surrogateescape")
                    for bad in _BAD.finditer(text):
                        bad_count += 1
                        undefined_in_cp1252 |= ord(bad.group()) - 0xDC00 in _CP1252_UNDEFINED
                        at = line + _count_line_ends(text[: bad.start()], pending_cr)
                        if not bad_lines or bad_lines[-1] != at:
                            bad_lines.append(at)
                    text = _BAD.sub("\ufffd", text)  # one character for each bad byte
                multibyte += len(data) - len(text)  # the extra bytes of valid non-ASCII characters
                if self.done == len(raw):
                    text = text.removeprefix("\ufeff")
                yield line, text
                line += _count_line_ends(text, pending_cr)
                pending_cr = text.endswith("\r")
        if tail:  # the file ends inside a UTF-8 character
            bad_count += len(tail)
            undefined_in_cp1252 |= any(byte in _CP1252_UNDEFINED for byte in tail)
            bad_lines = bad_lines or [line]
            self.warnings.append(
                f"{self.path}: the file ends in the middle of a UTF-8 character; "
                "the broken character was replaced by �"
            )
            yield line, "\ufffd"
        if bad_count > multibyte:
            raise LegacyEncoding(self, "latin-1" if undefined_in_cp1252 else "cp1252", bad_lines[0])
        if bad_lines:
            named = ", ".join(str(n) for n in bad_lines[:WARNED_LINES])
            more = len(bad_lines) - WARNED_LINES
            self.warnings.append(
                f"{self.path}: bytes that are not UTF-8 were replaced by � on line"
                f"{'s' if len(bad_lines) > 1 else ''} {named}"
                + (f" and {more} more" if more > 0 else "")
            )

    def _legacy_pieces(self) -> Iterator[tuple[int, str]]:
        line, pending_cr = 1, False
        with open(self.path, "rb") as handle:
            while raw := handle.read(PIECE_BYTES):
                self.done += len(raw)
                self.digest.update(raw)
                try:  # one byte is one character: pieces decode on their own
                    text = raw.decode(self.encoding)
                except UnicodeDecodeError:  # cp1252 leaves five bytes undefined; latin-1 none
                    raise LegacyEncoding(self, "latin-1", line) from None
                yield line, text
                line += _count_line_ends(text, pending_cr)
                pending_cr = text.endswith("\r")

    def lines(self) -> Iterator[tuple[int, str]]:
        """(line number, line without its ending); CRLF, CR and LF all end a line.

        Control characters are removed (a warning names each line at the end of the file). A
        line that spans pieces is joined once, and held by nothing else while it is read."""
        number = 1
        partial: list[str] = []  # the pieces of a line that goes on in the next piece
        cleaned: list[tuple[int, str]] = []
        for _, text in self.pieces():
            if partial and partial[-1].endswith("\r"):  # a CR ended it (a LF next: a CRLF)
                yield number, self._line(number, "".join(partial)[:-1], cleaned)
                number, partial = number + 1, []
                text = text.removeprefix("\n")
            if partial:
                end = _NEWLINE.search(text)
                if end is None or end.end() == len(text) and end.group() == "\r":
                    partial.append(text)  # it goes on, or its CR may be half of a CRLF
                    if sum(map(len, partial)) > MAX_POST_CHARS:
                        raise DumpError(
                            self.path, number, f"a line longer than {megabytes(MAX_POST_CHARS)}"
                        )
                    continue
                line = "".join([*partial, text[: end.start()]])
                partial = []
                yield number, self._line(number, line, cleaned)
                del line  # while the next lines are read, the reader alone holds it
                number += 1
                text = text[end.end() :]
            # `text` starts a line: its whole lines, and the start of one that goes on.
            hold = text.endswith("\r")  # the first half of a CRLF, maybe: kept for the next
            controls = CONTROL_RE.search(text) is not None  # once per piece, not per line
            parts = _NEWLINE.split(text[:-1] if hold else text)
            last = parts.pop()
            if last or hold:
                partial = [last + "\r" if hold else last]
            for part in parts:
                yield number, self._line(number, part, cleaned if controls else None)
                number += 1
        rest = "".join(partial)
        if rest:
            yield number, self._line(number, rest.removesuffix("\r"), cleaned)
        self._warn_controls(cleaned)

    def _line(self, number: int, line: str, cleaned: list | None) -> str:
        if "\x00" in line:
            raise DumpError(self.path, number, "contains a NUL byte: is this a text file?")
        if cleaned is not None and CONTROL_RE.search(line):
            cleaned.append((number, control_names(line)))
            line = CONTROL_RE.sub("", line)
        # A byte-order mark inside the file: dumps joined with `cat`.
        return line.lstrip("\ufeff")

    def _warn_controls(self, cleaned: list[tuple[int, str]]) -> None:
        for number, names in cleaned[:WARNED_LINES]:
            self.warnings.append(f"{self.path}:{number}: control characters removed ({names})")
        if len(cleaned) > WARNED_LINES:
            self.warnings.append(
                f"{self.path}: control characters were removed on "
                f"{len(cleaned) - WARNED_LINES} more lines"
            )

    def check_unchanged(self) -> None:
        """Refuse the file (DumpError) if it changed since open_dump() opened it: another
        size, times or file (appended to, rewritten, replaced), or bytes that are no longer
        those read (a rewrite of the same size within the clock's granularity)."""
        try:
            now = FileState.of(os.stat(self.path))
        except OSError:
            raise DumpError(self.path, None, CHANGED) from None
        if now != self.state:
            raise DumpError(self.path, None, CHANGED)
        again = hashlib.sha256()
        left = self.done
        with open(self.path, "rb") as handle:
            while left > 0 and (raw := handle.read(min(left, 16 * PIECE_BYTES))):
                again.update(raw)
                left -= len(raw)
        if left or again.digest() != self.digest.digest():
            raise DumpError(self.path, None, CHANGED)

    def bytes_read(self) -> int:
        return min(self.done, self.size)


def _count_line_ends(text: str, after_cr: bool) -> int:
    """Line endings in `text`; a LF first ends no line when the text before ended with a CR."""
    ends = text.count("\n") + text.count("\r") - text.count("\r\n")
    return ends - 1 if after_cr and text.startswith("\n") else ends


def _split_incomplete(data: bytes) -> tuple[bytes, bytes]:
    """Split off a UTF-8 character cut at the end of `data` (it goes on in the next piece)."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 == 0x80:  # a continuation byte: look further back for the lead byte
            continue
        needed = (
            2
            if byte & 0xE0 == 0xC0
            else 3
            if byte & 0xF0 == 0xE0
            else 4
            if byte & 0xF8 == 0xF0
            else 1
        )
        return (data[:-back], data[-back:]) if needed > back else (data, b"")
    return data, b""


def open_dump(path: Path) -> TextSource:
    """Decide how to read a file, refusing binary and empty ones with a clear message."""
    try:
        with open(path, "rb") as handle:
            state = FileState.of(os.fstat(handle.fileno()))  # before reading a byte
            head = handle.read(SNIFF_BYTES)
    except OSError as exc:
        raise DumpError(path, None, f"cannot read: {exc.strerror or exc}") from None
    if not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise DumpError(path, None, "the file is empty")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DumpError(path, 1, "UTF-16 text: save the dump as UTF-8 and import it again")
    if _looks_binary(head):
        raise DumpError(path, _first_control_line(head), "this is a binary file, not a text dump")
    return TextSource(path=path, encoding=UTF8, size=state.size, state=state)


def _looks_binary(head: bytes) -> bool:
    if head.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return head.startswith((b"\xff\xfe", b"\xfe\xff"))  # UTF-16 is not a dump format we read
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return head.count(0) > len(head) // 100 or controls > len(head) // 20


def _first_control_line(head: bytes) -> int:
    """The line of the first NUL or control byte, to point at in the refusal."""
    for offset, byte in enumerate(head):
        if byte < 9 or 13 < byte < 32:
            return head.count(b"\n", 0, offset) + 1
    return 1
