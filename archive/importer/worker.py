"""A second process for the CPU-bound part of an import (prepare.py), fed through pipes.

The importer sends batches (the few fields of each post that preparing needs) in order and
reads the results back in the same order, while it parses and writes on its own core. A plain
child process (`python -m archive.importer.worker`) rather than multiprocessing: it inherits no
database connection and never re-runs the caller's script, whoever calls the importer.
"""

from __future__ import annotations

import os
import pickle
import queue
import subprocess
import sys
import threading
import traceback
from pathlib import Path

from archive.importer.prepare import prepare  # no Django: the child never sets it up
from archive.search.analysis import forget

ROOT = Path(__file__).resolve().parent.parent.parent
_END = object()
FORGET = "forget"  # a message, not a batch (batches are lists)


class WorkerError(RuntimeError):
    pass


class PreparationWorker:
    def __init__(self, niceness: int = 0):
        """`niceness`: added to the child's (settings.ARCHIVE_IMPORT_WORKER_NICENESS)."""
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "archive.importer.worker", str(niceness)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        self.results: queue.Queue = queue.Queue()
        self.outstanding = 0
        # Results are read as soon as they come, so the child never blocks on a full pipe
        # while this process blocks sending it the next batch.
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        try:
            while True:
                self.results.put(pickle.load(self.process.stdout))
        except EOFError:
            pass
        except Exception as exc:  # noqa: BLE001 - reported to the importer below
            self.results.put(("error", f"unreadable answer from the worker: {exc}"))
        self.results.put(_END)

    def submit(self, batch: list) -> None:
        try:
            pickle.dump(batch, self.process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            raise WorkerError(self._died()) from None
        self.outstanding += 1

    def next_result(self) -> list:
        """The results of the oldest submitted batch."""
        answer = self.results.get()
        if answer is _END:
            self.results.put(_END)
            raise WorkerError(self._died())
        self.outstanding -= 1
        kind, value = answer
        if kind == "error":
            raise WorkerError(f"preparing posts failed in the worker process:\n{value}")
        return value

    def discard(self) -> None:
        """Drop the answers still owed (after an error in the importer)."""
        while self.outstanding:
            try:
                self.next_result()
            except WorkerError:
                break
        self.outstanding = 0

    def forget(self) -> None:
        """The worker forgets the words it analysed (a file was rolled back): it reports them as
        new again, so that the search vocabulary hears of them."""
        self.discard()
        try:
            pickle.dump(FORGET, self.process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            raise WorkerError(self._died()) from None

    def close(self) -> None:
        try:
            self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def _died(self) -> str:
        code = self.process.poll()
        return f"the import's worker process stopped (exit status {code})"


def main() -> None:
    niceness = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    if niceness and hasattr(os, "nice"):
        os.nice(niceness)
    incoming = sys.stdin.buffer
    # Answers go to the original stdout; anything printed by a library goes to stderr instead.
    outgoing = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    while True:
        try:
            batch = pickle.load(incoming)
        except EOFError:
            return
        if batch == FORGET:  # no answer
            forget()
            continue
        try:
            answer = ("ok", prepare(batch))
        except Exception:  # noqa: BLE001 - sent back, raised in the importer
            answer = ("error", traceback.format_exc())
        pickle.dump(answer, outgoing, protocol=pickle.HIGHEST_PROTOCOL)
        outgoing.flush()


if __name__ == "__main__":
    main()
