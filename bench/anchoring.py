"""Re-anchoring a note in a long article: median time of annotations.anchoring.locate().

    .venv/bin/python bench/anchoring.py [--runs 30] [--size 100000] [--quote 200] \
        [--old REV] [--old-runs 3]

A 100 KB article (French paragraphs from bench/corpus.py's generator) and a 200-character
passage from its middle; the text is then changed in the ways a re-import changes it, and the
passage is found again. For each case it prints the median and worst time, the median CPU
time, how the passage was found and whether the passage found is the right one. --old REV
(default: the commit before the approximate search moved to edlib) runs that revision's
locate() on the same cases, read with `git show`. Needs no database.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from corpus import SEED, Vocabulary, _paragraph  # noqa: E402

from annotations.anchoring import TextQuote, locate, quote_at  # noqa: E402

OLD_REVISION = "c22baf1"  # SequenceMatcher windows, cut-off 0.75


def article(size: int) -> str:
    """A French article of distinct paragraphs (bench/corpus.py's generator, seeded)."""
    rng, vocabulary, paragraphs = random.Random(SEED), Vocabulary(), []
    while sum(len(p) + 2 for p in paragraphs) < size:
        paragraphs.append(_paragraph(rng, vocabulary, "fr", [], False, False))
    return "\n\n".join(paragraphs)[:size]


def every_nth_letter_changed(passage: str, nth: int) -> str:
    letters = list(passage)
    for i in range(0, len(letters), nth):
        if letters[i] != " ":
            letters[i] = "x" if letters[i] != "x" else "y"
    return "".join(letters)


def cases(text: str, start: int, end: int) -> dict[str, tuple[str, tuple[int, int] | None]]:
    """name → (changed text, where the passage now is, or None when it is gone)."""
    passage = text[start:end]
    added = "A paragraph added on top of the article.\n\n"

    def replaced(new: str) -> tuple[str, tuple[int, int]]:
        return text[:start] + new + text[end:], (start, start + len(new))

    words = passage.split(" ")
    typos = " ".join(w[:-1] + w[-1] * 2 if len(w) > 6 else w for w in words)
    return {
        "unchanged": (text, (start, end)),
        "paragraph added on top": (added + text, (start + len(added), end + len(added))),
        "typos": replaced(typos),
        "words inserted inside": replaced(passage.replace(" ", " really ", 3)),
        "a quarter of its letters changed": replaced(every_nth_letter_changed(passage, 4)),
        "half of its letters changed": replaced(every_nth_letter_changed(passage, 2)),
        "gone": (text[:start] + "Nothing to see here any more." + text[end:], None),
    }


def old_locate(revision: str):
    try:
        source = subprocess.run(
            ["git", "show", f"{revision}:annotations/anchoring.py"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    path = Path(tempfile.mkdtemp()) / "old_anchoring.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("old_anchoring", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return lambda text, a: module.locate(
        text, module.TextQuote(a.exact, a.prefix, a.suffix, a.start)
    )


def measure(find, text: str, anchor: TextQuote, runs: int):
    """The result, and the median wall time, worst wall time and median CPU time in ms (CPU
    time is what other jobs on a shared machine change least)."""
    times, cpu = [], []
    for _ in range(runs):
        began, began_cpu = time.perf_counter(), time.process_time()
        found = find(text, anchor)
        times.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    return found, statistics.median(times), max(times), statistics.median(cpu)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--quote", type=int, default=200)
    parser.add_argument("--old", default=OLD_REVISION, help="git revision to compare with")
    parser.add_argument("--old-runs", type=int, default=3, help="its runs (it takes seconds)")
    args = parser.parse_args()
    text = article(args.size)
    start = text.index(" ", len(text) // 2) + 1
    end = start + args.quote
    anchor = quote_at(text, start, end)
    finders = {"locate": locate}
    old = old_locate(args.old) if args.old else None
    if old is not None:
        finders[f"locate at {args.old}"] = old
    print(f"article: {len(text):,} characters; quote: {len(anchor.exact)} characters")
    print(f"{'case':34} {'code':18} {'median ms':>10} {'worst ms':>9} {'CPU ms':>8}  result")
    for name, (changed, expected) in cases(text, start, end).items():
        for label, find in finders.items():
            runs = args.runs if find is locate else args.old_runs
            found, median, worst, cpu = measure(find, changed, anchor, runs)
            if found is None:
                result = "not found" + (" (right)" if expected is None else " (WRONG)")
            else:
                right = expected is not None and abs(found.start - expected[0]) <= 3
                right = right and abs(found.end - expected[1]) <= 3
                result = f"{found.how} at {found.start}" + (" (right)" if right else " (WRONG)")
            print(f"{name:34} {label:18} {median:10.2f} {worst:9.2f} {cpu:8.2f}  {result}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
