"""Text rules shared by the importer, the search index and the pages.

Hashtags, URLs and @mentions are found here and only here, so that what the importer tags, what
the search indexes and what a page turns into links always agree.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

# http(s) URLs; stops at white space and at the quotes and brackets that usually close a URL.
URL_RE = re.compile(r"""https?://[^\s<>"'«»“”‘’]+""", re.IGNORECASE)
URL_TRAILING = ".,;:!?)]}…'’»"
# A hashtag starts with a letter, then letters, digits, "_", "-" or an apostrophe (' or ’, as
# seenthis allows: #liberté_d’expression); it never ends in "-" or an apostrophe. Not inside a
# word or after "&" (HTML entities) or "/" (paths).
HASHTAG_BODY = r"[^\W\d_](?:[\w-]|['’](?=\w))*"
HASHTAG_RE = re.compile(rf"(?<![\w&/#])#({HASHTAG_BODY})")
MENTION_RE = re.compile(r"(?<![\w@.])@([A-Za-z0-9_][\w.-]*[\w])")
WORD_RE = re.compile(r"\w+")
HASHTAG_MAX = 100
# Control characters a text may not keep: C0 but tab, LF and CR (XML 1.0 cannot carry them,
# and ESC or BS in a title can only be noise), DEL, and C1 (U+0080-U+009F: invisible, mostly
# bytes of a legacy encoding read as latin-1). NUL is not here: it makes a dump refused.
CONTROL_RE = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_C0_NAMES = (
    "NUL SOH STX ETX EOT ENQ ACK BEL BS HT LF VT FF CR SO SI "
    "DLE DC1 DC2 DC3 DC4 NAK SYN ETB CAN EM SUB ESC FS GS RS US"
).split()


def fold(text: str) -> str:
    """Lower-case and strip accents: "Überwachung" -> "uberwachung", "Œuvre" -> "oeuvre"."""
    if text.isascii():  # most words: nothing to decompose (and casefold is lower for ASCII)
        return text.lower()
    text = text.casefold().replace("œ", "oe").replace("æ", "ae").replace("ß", "ss")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# Remembered: an import computes them for every hashtag of every post (about 25 calls a post),
# and hashtags repeat far more than words do.
@lru_cache(maxsize=65536)
def hashtag_key(name: str) -> str:
    """The identity of a hashtag: case-insensitive, accents kept (#Crédit = #crédit ≠ #credit)."""
    return unicodedata.normalize("NFC", name.lstrip("#")).casefold()


@lru_cache(maxsize=65536)
def hashtag_fits(name: str) -> bool:
    """Whether a hashtag fits the database columns: its name, key and folded key.

    Case folding and accent folding can make a name longer ("ß" -> "ss", "ﬃ" -> "ffi").
    """
    if len(name) > HASHTAG_MAX:
        return False
    key = hashtag_key(name)
    return len(key) <= HASHTAG_MAX and len(fold(key)) <= HASHTAG_MAX


def control_names(text: str) -> str:
    """The control characters CONTROL_RE finds in a text, named: "U+001B ESC, U+0008 BS"."""
    found = dict.fromkeys(CONTROL_RE.findall(text))
    return ", ".join(
        f"U+{ord(c):04X}"
        + (f" {_C0_NAMES[ord(c)]}" if ord(c) < 32 else " DEL" if c == "\x7f" else "")
        for c in found
    )


def clean_url(raw: str) -> str:
    url = raw.rstrip(URL_TRAILING)
    # Keep a closing bracket that belongs to the URL (Wikipedia_(disambiguation)).
    if raw[len(url) : len(url) + 1] == ")" and url.count("(") > url.count(")"):
        url += ")"
    return url


@dataclass(frozen=True)
class Span:
    kind: str  # "text", "url", "hashtag", "mention"
    text: str
    value: str = ""


def split_spans(text: str) -> Iterator[Span]:
    """Cut text into plain runs, URLs, hashtags and mentions, in order, losing no character."""
    if "#" not in text and "@" not in text and "://" not in text:  # most lines: nothing to find
        if text:
            yield Span("text", text)
        return
    pos = 0
    for match in URL_RE.finditer(text):
        url = clean_url(match.group(0))
        yield from _split_words(text[pos : match.start()])
        yield Span("url", url, url)
        pos = match.start() + len(url)
    yield from _split_words(text[pos:])


def _split_words(text: str) -> Iterator[Span]:
    pos = 0
    for match in _TAG_OR_MENTION_RE.finditer(text):
        if match.group("tag") is not None:
            name = match.group("tag").rstrip("-")
            if not hashtag_fits(name):
                continue
            end = match.start() + 1 + len(name)
            kind, value = "hashtag", name
        else:
            name = match.group("mention")
            end = match.end()
            kind, value = "mention", name
        if match.start() > pos:
            yield Span("text", text[pos : match.start()])
        yield Span(kind, text[match.start() : end], value)
        pos = end
    if pos < len(text):
        yield Span("text", text[pos:])


# HASHTAG_RE and MENTION_RE in one pass. Written "#" first, the character before it checked
# after (the same matches): a pattern that starts with a literal is searched for by that
# character, twice as fast as trying the look-behind at every position of a long text.
_TAG_OR_MENTION_RE = re.compile(
    rf"#(?<![\w&/#]#)(?P<tag>{HASHTAG_BODY})|@(?<![\w@.]@)(?P<mention>[A-Za-z0-9_](?:[\w.-]*\w)?)"
)


def find_hashtags(text: str) -> list[str]:
    return [s.value for s in split_spans(text) if s.kind == "hashtag"]


def find_urls(text: str) -> list[str]:
    return [s.value for s in split_spans(text) if s.kind == "url"]


def is_web_url(value: str) -> bool:
    """Whether an address may be a link: http(s) only, whatever a dump says (a JSON export's
    `url` and `links` are stored as given: javascript: and data: stay text)."""
    return isinstance(value, str) and value[:8].lower().startswith(("http://", "https://"))


def find_mentions(text: str) -> list[str]:
    return [s.value for s in split_spans(text) if s.kind == "mention"]


def is_hashtag_line(line: str) -> bool:
    """A line made only of hashtags ("#Chine #crédit_social")."""
    if not line.lstrip().startswith("#"):
        return False
    spans = [s for s in split_spans(line) if s.kind != "text" or s.text.strip()]
    return bool(spans) and all(s.kind == "hashtag" for s in spans)


def unique(items) -> list:
    return list(dict.fromkeys(items))
