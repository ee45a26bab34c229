"""How often an import on SQLite takes the write lock (staging.py), so that others get it too.

A page's or a curator's write that finds the lock taken waits in SQLite's busy handler, which
looks again every 100 ms at most. So each of the import's transactions lasts about HOLD_SECONDS
(it writes batches of up to 500 posts and stops after the one that reaches it: about 0.1 s each
on an idle machine), and the next one starts at least GAP_SECONDS after it committed: a waiting
write gets in within a transaction and a gap. The importer parses (and its worker prepares)
the next posts meanwhile, so the gap costs little time; only when DEFERRED_BATCHES batches are
ready does it wait.
"""

from __future__ import annotations

import contextlib
import time

from django.db import transaction

HOLD_SECONDS = 0.2
GAP_SECONDS = 0.12  # longer than the busy handler's longest sleep (100 ms)
DEFERRED_BATCHES = 4
# Batches are not written in smaller parts: each write has a fixed cost (its queries), and in
# parts of 100 posts the importer took 20% more CPU time.


class WritePacer:
    def __init__(self) -> None:
        self.committed = float("-inf")

    def may_write(self) -> bool:
        return time.monotonic() - self.committed >= GAP_SECONDS

    def wait(self) -> None:
        left = GAP_SECONDS - (time.monotonic() - self.committed)
        if left > 0:
            time.sleep(left)

    @contextlib.contextmanager
    def transaction(self):
        """One of the import's transactions; yields a function telling whether it lasted long
        enough (then commit, and let others in)."""
        self.wait()
        started = time.monotonic()
        with transaction.atomic():
            yield lambda: time.monotonic() - started >= HOLD_SECONDS
        self.committed = time.monotonic()
