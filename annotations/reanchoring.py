"""Anchors follow the text: when an article's text changes (an import of an edited dump, an edit
in the admin), the passage of each anchored commentary on it is found again (anchoring.locate)
and the stored anchor updated, in the caller's transaction.

- Found where it was, with the same surroundings: nothing is written.
- Found with its words unchanged elsewhere, or in new surroundings: the anchor follows it.
- Found reworded (approximately): the anchor holds the passage as it reads now, and the wording
  first quoted is kept (`quote_original`, shown to curators); it is reported as re-anchored.
- Not found: the commentary is marked lost (`quote_lost`), keeping its last wording, so that a
  later text holding the passage again finds it; it is reported as lost. Nothing is deleted.

Pages then trust the stored anchor (a cheap exact check, no approximate search per view).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import F

from annotations.anchoring import TextQuote, locate, quote_at
from annotations.models import Commentary

ANCHOR_FIELDS = [
    "quote_exact",
    "quote_prefix",
    "quote_suffix",
    "quote_start",
    "quote_original",
    "quote_lost",
]


@dataclass(frozen=True)
class AnchorChange:
    """A commentary whose passage was re-anchored (found reworded, or found again after being
    lost) or lost, for the import summary."""

    commentary_id: int
    article_id: int
    article_title: str
    note: str  # the commentary's text
    quote: str  # the passage as it reads now (re-anchored) or as last found (lost)
    first_quoted: str  # the passage as first quoted
    lost: bool


def follow_text(texts: Mapping[int, str]) -> list[AnchorChange]:
    """Re-anchor the anchored commentary of these articles (id → its text now); return what was
    re-anchored or lost."""
    if not texts:
        return []
    items = (
        Commentary.all_objects.filter(article_id__in=list(texts))
        .exclude(quote_exact="")
        .annotate(article_title=F("article__title"))
        .order_by("article_id", "pk")
    )
    changed: list[Commentary] = []
    report: list[AnchorChange] = []
    for item in items:
        outcome = follow_anchor(item, texts[item.article_id])
        if outcome is None:
            continue
        changed.append(item)
        if outcome:
            report.append(
                AnchorChange(
                    commentary_id=item.pk,
                    article_id=item.article_id,
                    article_title=item.article_title,
                    note=item.text,
                    quote=item.quote_exact,
                    first_quoted=item.quote_original or item.quote_exact,
                    lost=item.quote_lost,
                )
            )
    Commentary.all_objects.bulk_update(changed, ANCHOR_FIELDS)
    return report


def follow_anchor(item: Commentary, text: str) -> bool | None:
    """Move one anchor to where its passage is in text. None: nothing changed; False: changed
    silently (the same words, elsewhere or in new surroundings); True: to report."""
    anchor = TextQuote(item.quote_exact, item.quote_prefix, item.quote_suffix, item.quote_start)
    found = locate(text, anchor)
    if found is None:
        if item.quote_lost:
            return None
        item.quote_lost = True
        return True
    was_lost, old = item.quote_lost, _stored(item)
    new = quote_at(text, found.start, found.end)
    if new.exact != item.quote_exact and not item.quote_original:
        item.quote_original = item.quote_exact
    if new.exact == item.quote_original:
        item.quote_original = ""  # reads again as first quoted
    item.quote_exact, item.quote_prefix, item.quote_suffix = new.exact, new.prefix, new.suffix
    item.quote_start = new.start
    item.quote_lost = False
    if _stored(item) == old:
        return None
    return was_lost or found.how == "approximate"


def _stored(item: Commentary) -> tuple:
    return tuple(getattr(item, name) for name in ANCHOR_FIELDS)
