"""Article text as safe HTML: URLs as links (http/https only), hashtags as links to their page,
passages that commentary is anchored to in <mark>, and words of a search in <mark>.

Everything from the dump is escaped; only the markup built here is trusted.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from archive.links import reverse_cached
from archive.search.analysis import TOKEN_RE
from archive.search.snippets import Matcher, highlight
from archive.text import hashtag_key, split_spans


@dataclass(frozen=True)
class AnchorRange:
    start: int  # in the article text (paragraphs joined by blank lines)
    end: int
    commentary_id: int


@dataclass
class RenderedParagraph:
    html: SafeString
    lang: str


def hashtag_link(name: str, slugs: dict[str, str]) -> str:
    slug = slugs.get(hashtag_key(name))
    if not slug:
        return escape(f"#{name}")
    href = escape(reverse_cached("tag_detail", slug))
    return f'<a class="hashtag" href="{href}">#{escape(name)}</a>'


def render_inline(text: str, slugs: dict[str, str], matcher: Matcher | None = None) -> SafeString:
    """A short text (an imported reply, a curator note) with links, hashtags and search words
    marked."""
    return mark_safe("".join(_span_html(span, slugs, matcher) for span in split_spans(text)))


def _span_html(span, slugs, matcher, first_id=None) -> str:
    if span.kind == "url":
        return (
            f'<a href="{escape(span.value)}" rel="nofollow noopener ugc" class="ext">'
            f"{escape(span.text)}</a>"
        )
    if span.kind == "hashtag":
        return hashtag_link(span.value, slugs)
    if matcher:
        return highlight(span.text, matcher, first_id)
    return escape(span.text)


def render_paragraphs(
    paragraphs: list[dict],
    slugs: dict[str, str],
    anchors: list[AnchorRange] = (),
    matcher: Matcher | None = None,
    starts: list[int] | None = None,
) -> list[RenderedParagraph]:
    """`starts`: where each paragraph starts in the article's text, when they are not all of
    it from its start (a part of a long article: archive/parts.py)."""
    rendered = []
    offset = 0
    first_anchor_seen: set[int] = set()
    state = {"first_match": "match" if matcher else None}
    for n, paragraph in enumerate(paragraphs):
        if starts is not None:
            offset = starts[n]
        text = paragraph["text"]
        local = [
            (
                max(a.start, offset) - offset,
                min(a.end, offset + len(text)) - offset,
                a.commentary_id,
            )
            for a in anchors
            if a.start < offset + len(text) and a.end > offset
        ]
        html = _render_text(text, slugs, local, matcher, first_anchor_seen, state)
        rendered.append(RenderedParagraph(mark_safe(html), paragraph.get("lang", "")))
        offset += len(text) + 2
    return rendered


def _render_text(text, slugs, anchors, matcher, first_anchor_seen, state) -> str:
    out = []
    pos = 0
    for span in split_spans(text):
        start, end = pos, pos + len(span.text)
        pos = end
        cuts = sorted({start, end, *(c for a in anchors for c in (a[0], a[1]) if start < c < end)})
        if span.kind != "text":
            cuts = [start, end]  # links stay whole
        for piece_start, piece_end in zip(cuts, cuts[1:], strict=False):
            piece = text[piece_start:piece_end]
            anchored = next(
                (a[2] for a in anchors if a[0] <= piece_start and piece_end <= a[1]), None
            )
            if span.kind == "text":
                first_id = None
                if (
                    matcher
                    and state["first_match"]
                    and matcher.marks([m.group(0) for m in TOKEN_RE.finditer(piece)])
                ):
                    first_id, state["first_match"] = state["first_match"], None
                inner = highlight(piece, matcher, first_id) if matcher else escape(piece)
            else:
                inner = _span_html(span, slugs, None)
                if (
                    span.kind == "hashtag"
                    and matcher
                    and matcher.marks([m.group(0) for m in TOKEN_RE.finditer(span.value)])
                ):
                    first_id, state["first_match"] = state["first_match"], None
                    attrs = f' id="{first_id}"' if first_id else ""
                    inner = f"<mark{attrs}>{inner}</mark>"
            if anchored is not None:
                attrs = f'class="anchored" data-note="{anchored}"'
                if anchored not in first_anchor_seen:
                    first_anchor_seen.add(anchored)
                    attrs += f' id="passage-{anchored}"'
                inner = (
                    f'<mark {attrs}><a href="#note-{anchored}">{inner}</a></mark>'
                    if span.kind == "text"
                    else f"<mark {attrs}>{inner}</mark>"
                )
            out.append(inner)
    return "".join(out)
