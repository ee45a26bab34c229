"""Posts kept aside until a file is published (staging.py): those that change articles readers
already see. Kept in a temporary file, not in memory: a re-import may change every post of a
large dump. The file is this process's alone and vanishes with it, even killed."""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterator

from archive.importer.posts import ParsedPost


class PostSpool:
    def __init__(self) -> None:
        self.file = None
        self.count = 0

    def add(self, posts: list[ParsedPost]) -> None:
        if not posts:
            return
        if self.file is None:
            self.file = tempfile.TemporaryFile(prefix="archive-import-")
        # Our own objects, read back by this process only (never from anywhere else).
        pickle.dump(posts, self.file, protocol=pickle.HIGHEST_PROTOCOL)
        self.count += len(posts)

    def batches(self) -> Iterator[list[ParsedPost]]:
        """The posts as added, batch by batch; then the spool is empty."""
        if self.file is None:
            return
        self.file.seek(0)
        try:
            while True:
                try:
                    yield pickle.load(self.file)
                except EOFError:
                    break
        finally:
            self.close()

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None
            self.count = 0
