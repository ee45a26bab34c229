"""What an import did: per file, and in all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from annotations.reanchoring import AnchorChange
from archive.importer.errors import DumpError

NAMED_ANCHOR_CHANGES = 50  # per file and kind; the article pages list them all to curators


@dataclass
class FileResult:
    path: str
    format: str = ""
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    replies: int = 0
    curated: int = 0  # updated articles whose curators' hashtag changes were kept
    curator_fields: int = 0  # updated articles whose fields edited by curators were kept
    tags: set[int] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    anchors: list[AnchorChange] = field(default_factory=list)  # re-anchored or lost
    new_ids: list[int] = field(default_factory=list)  # the articles added, for the history
    updated_ids: list[int] = field(default_factory=list)  # and those changed

    @property
    def reanchored(self) -> list[AnchorChange]:
        return [change for change in self.anchors if not change.lost]

    @property
    def lost(self) -> list[AnchorChange]:
        return [change for change in self.anchors if change.lost]

    def anchor_lines(self) -> list[str]:
        """The commentary whose anchor this file moved to a reworded passage, or lost: by
        article and note."""
        lines = []
        for kind, changes in (("re-anchored", self.reanchored), ("passage lost", self.lost)):
            for change in changes[:NAMED_ANCHOR_CHANGES]:
                line = (
                    f"  {kind}: note {change.commentary_id} on “{_short(change.article_title)}” "
                    f"(article {change.article_id}), “{_short(change.note)}”: "
                )
                if change.lost:
                    line += f"its passage “{_short(change.quote)}” is no longer in the text"
                else:
                    line += f"now quotes “{_short(change.quote)}”"
                    if change.first_quoted != change.quote:
                        line += f" (first quoted: “{_short(change.first_quoted)}”)"
                lines.append(line)
            if len(changes) > NAMED_ANCHOR_CHANGES:
                lines.append(
                    f"  … and {len(changes) - NAMED_ANCHOR_CHANGES} more {kind} "
                    "(each article's page lists them to curators)"
                )
        return lines


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class ImportSummary:
    files: list[FileResult] = field(default_factory=list)
    errors: list[DumpError] = field(default_factory=list)
    seconds: float = 0.0

    def total(self, name: str) -> int:
        return sum(getattr(f, name) for f in self.files)

    @property
    def tag_count(self) -> int:
        return len(set().union(*(f.tags for f in self.files))) if self.files else 0

    def describe(self) -> str:
        articles = self.total("new") + self.total("updated") + self.total("unchanged")
        return (
            f"{len(self.files)} file(s) imported, {len(self.errors)} refused: "
            f"{articles} articles ({self.total('new')} new, {self.total('updated')} updated, "
            f"{self.total('unchanged')} unchanged), {self.total('replies')} replies, "
            f"{self.tag_count} hashtags, "
            + (
                f"curator hashtags kept on {self.total('curated')}, "
                if self.total("curated")
                else ""
            )
            + (
                f"curator edits kept on {self.total('curator_fields')}, "
                if self.total("curator_fields")
                else ""
            )
            + _anchor_counts(
                sum(len(f.reanchored) for f in self.files), sum(len(f.lost) for f in self.files)
            )
            + f"in {self.seconds:.1f} s"
        )


def _anchor_counts(reanchored: int, lost: int) -> str:
    """ "2 notes re-anchored, 1 note's passage lost, " (nothing when there are none)."""
    parts = []
    if reanchored:
        parts.append(f"{reanchored} note{'s' if reanchored > 1 else ''} re-anchored")
    if lost:
        parts.append(f"{lost} note{'s' if lost > 1 else ''} whose passage was lost")
    return "".join(f"{part}, " for part in parts)


Progress = Callable[[str, int, int, int], None]  # (file name, bytes done, bytes total, posts)
