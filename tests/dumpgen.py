"""Generated dumps for tests: big files are written at test time, never committed."""

from __future__ import annotations

import random
from pathlib import Path

WORDS = (
    "surveillance crédit social Chine données contrôle vie privée réseau travail "
    "productivité score algorithme police caméra citoyen état liberté"
).split()


def write_bulleted(path: Path, posts: int, *, seed: int = 1, replies_every: int = 5) -> Path:
    """A bulleted dump of `posts` posts, each with a URL, paragraphs, hashtags, some replies."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as out:
        for n in range(posts):
            words = " ".join(rng.choice(WORDS) for _ in range(8))
            out.write(f"{'  ' if n else ''}• Post {n}: {words}\n")
            out.write(f"    https://example.org/{seed}/post/{n}\n")
            for p in range(3):
                text = " ".join(rng.choice(WORDS) for _ in range(40))
                out.write(f"    Paragraph {p} of post {n}: {text}.\n\n")
            out.write(f"    #tag{n % 97} #{rng.choice(WORDS).replace(' ', '_')} #generated\n\n")
            if replies_every and n % replies_every == 0:
                out.write(f"    • A reply to post {n}\n      that goes on #reply\n\n")
    return path
