"""Opening a dump as text: encodings, BOM, line endings, binary and empty files."""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from archive.importer.errors import DumpError

SNIFF_BYTES = 8192
CHUNK = 1 << 20


@dataclass
class TextSource:
    path: Path
    encoding: str
    size: int
    warnings: list[str] = field(default_factory=list)
    _binary: io.BufferedReader | None = None

    def open_text(self, newline: str | None = None) -> io.TextIOWrapper:
        """The file as text in its encoding; bytes_read() follows it."""
        self._binary = open(self.path, "rb")  # noqa: SIM115 - the caller closes the wrapper
        errors = "replace" if self.encoding == "utf-8-truncated" else "strict"
        encoding = "utf-8-sig" if self.encoding.startswith("utf-8") else self.encoding
        return io.TextIOWrapper(self._binary, encoding=encoding, errors=errors, newline=newline)

    def lines(self) -> Iterator[tuple[int, str]]:
        """(line number, line without its ending); CRLF, CR and LF all end a line."""
        text = self.open_text()
        try:
            for number, line in enumerate(text, start=1):
                if "\x00" in line:
                    raise DumpError(self.path, number, "contains a NUL byte: is this a text file?")
                # A byte-order mark inside the file: dumps joined with `cat`.
                yield number, line.rstrip("\n").lstrip("\ufeff")
        finally:
            text.close()

    def bytes_read(self) -> int:
        try:
            return self._binary.tell() if self._binary else 0
        except (ValueError, OSError):
            return self.size


def open_dump(path: Path) -> TextSource:
    """Decide how to read a file, refusing binary and empty ones with a clear message."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as exc:
        raise DumpError(path, None, f"cannot read: {exc.strerror or exc}") from None
    if not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise DumpError(path, None, "the file is empty")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DumpError(path, 1, "UTF-16 text: save the dump as UTF-8 and import it again")
    if _looks_binary(head):
        raise DumpError(path, _first_control_line(head), "this is a binary file, not a text dump")
    encoding, warnings = _detect_encoding(path)
    return TextSource(path=path, encoding=encoding, size=size, warnings=warnings)


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


def _detect_encoding(path: Path) -> tuple[str, list[str]]:
    """UTF-8 (with or without BOM) when the whole file decodes; else cp1252, else latin-1."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                line += chunk.count(b"\n", 0, max(0, error.start))
                break
            line += chunk.count(b"\n")
        else:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                return "utf-8-truncated", [
                    f"{path}: the file ends in the middle of a UTF-8 character; "
                    "the broken character was replaced by �"
                ]
            return "utf-8", []
    for fallback in ("cp1252", "latin-1"):
        try:
            with open(path, encoding=fallback, newline="") as handle:
                while handle.read(CHUNK):
                    pass
        except UnicodeDecodeError:
            continue
        return fallback, [f"{path}: not UTF-8 (near line {line}); read as {fallback}"]
    raise DumpError(path, line, "cannot decode this file as UTF-8, cp1252 or latin-1")
