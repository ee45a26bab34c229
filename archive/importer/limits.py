"""How large a dump's parts may be: the limits every reader (decode.py, parse.py,
jsonformat.py) and the writer apply, the same on both databases (docs/security.md, "Imports").

A post over MAX_POST_CHARS is refused (file:line): past it, an import could not keep its memory
bounded. Hashtags past MAX_HASHTAGS stay in the text (a text dump) or are left out (a JSON
export), with a warning; the search index's own budget is archive/search/analysis.py's.
"""

from __future__ import annotations

# Characters of text in one post (title, paragraphs and replies), and so in one line.
MAX_POST_CHARS = 32 << 20
# Hashtags of one post, and of one reply or note.
MAX_HASHTAGS = 500
# Posts are written in batches of at most this many characters of text (and 500 posts): the
# batches in flight stay small whatever the posts' size.
BATCH_CHARS = 8 << 20


def megabytes(chars: int) -> str:
    return f"{chars / (1 << 20):g} MB"
