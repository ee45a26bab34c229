"""What an import did: per file, and in all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from archive.importer.errors import DumpError


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
            + f"in {self.seconds:.1f} s"
        )


Progress = Callable[[str, int, int, int], None]  # (file name, bytes done, bytes total, posts)
