"""Pairs of very common words that stand next to each other ("sur le", "of the").

An exact phrase is found by intersecting its words' lists in the index and then checking their
order in each document holding them all. For a phrase of very common words that is most of the
archive: "sur le est sont" is in 27,000 documents of a million posts (110-190 ms on PostgreSQL),
"de de des" in hundreds of thousands on SQLite. So each backend also indexes, for every document,
the pairs of very common words that stand next to each other in one of its fields, as terms
without positions, and a phrase also asks the index for its own pairs: only documents holding
them all are checked for the order. A document's pairs are a superset of what the order check
can match, so no match is lost. Only these function words form pairs: a rarer word's own list is
short enough. Changing the list changes what documents hold: existing ones need
`manage.py reindex` (or a migration like 0008 and 0018).
"""

from __future__ import annotations

from collections.abc import Iterable

PAIR_WORDS = frozenset(
    # French (folded: "à" is "a", "été" is "ete"; "l'", "d'", "qu'" are words of their own)
    "a au aux avec c ce ces cette comme d dans de des du elle en est et ete etre il ils j l la "
    "le les leur leurs lui mais meme n ne nous on ou par pas plus pour qu que qui s sa sans se "
    "ses si son sont sur tout un une y "
    # English
    "an and are as at be been but by for from had has have he her his i if in is it its not "
    "of on or she that the their there they this to was we were which will with you "
    # German (folded: "für" is "fur", "über" is "uber")
    "als am an auch auf aus bei das dass dem den der die durch ein eine einem einen einer es "
    "fur hat im ist mit nach nicht noch sich sie sind um und uber vom von war wie wird zu zum "
    "zur "
    # Italian ("è" is "e", "più" is "piu")
    "al alla che con da degli dei del della delle di e gli i il la lo ma nel nella non per piu "
    "si sono sul tra una".split()
)


def word_pairs(words: Iterable[str]) -> set[tuple[str, str]]:
    """The pairs of a sequence of folded words: ("sur", "le") for "... sur le ..."."""
    pairs = set()
    previous = None
    for word in words:
        if word in PAIR_WORDS:
            if previous is not None:
                pairs.add((previous, word))
            previous = word
        else:
            previous = None
    return pairs
