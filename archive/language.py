"""Language of paragraphs and articles, with py3langid (its model ships in the wheel)."""

from __future__ import annotations

from collections import Counter
from functools import cache

from archive.text import WORD_RE

# The languages people post in here; restricting the model makes short paragraphs reliable.
LANGUAGES = ["fr", "de", "en", "it", "es", "pt", "nl"]
MIN_LETTERS = 25


@cache
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)
    identifier.set_languages(LANGUAGES)
    return identifier


def detect(text: str) -> str:
    """The language of a text, or "" when it is too short to tell."""
    letters = sum(len(w) for w in WORD_RE.findall(text) if not w.isdigit())
    if letters < MIN_LETTERS:
        return ""
    return _identifier().classify(text)[0]


def detect_paragraphs(
    paragraphs: list[str], langs: list[str] | None = None
) -> tuple[list[str], str]:
    """Language of each paragraph and of the whole: the one covering the most characters.

    Paragraphs too short to tell take the article's language. `langs`, when given, are the
    paragraphs' detect() results already computed (by detect_many).
    """
    if langs is None:
        langs = [detect(p) for p in paragraphs]
    weights: Counter[str] = Counter()
    for lang, paragraph in zip(langs, paragraphs, strict=True):
        if lang:
            weights[lang] += len(paragraph)
    if weights:
        article_lang = weights.most_common(1)[0][0]
    else:
        article_lang = detect(" ".join(paragraphs)) if paragraphs else ""
    return [lang or article_lang for lang in langs], article_lang


def detect_many(texts: list[str]) -> list[str]:
    """[detect(t) for t in texts], the same answers, several times faster on many texts.

    py3langid walks its automaton byte by byte in Python, which was the importer's largest cost.
    Here one numpy pass walks all the texts at once: the automaton (Aho-Corasick over byte
    n-grams) has states at most `depth` bytes deep, so the state after a byte depends only on the
    `depth` bytes ending there, and `depth` vectorised steps give every state. Features are then
    counted per text and scored with the same arrays and the same sum of products as py3langid,
    all texts at once, so scores agree up to float rounding (no answer differed on 30,000
    paragraphs). A start-up self-check against py3langid falls back to detect() if a new
    py3langid release ever changes its internals.
    """
    walker = _walker()
    if walker is None:
        return [detect(t) for t in texts]
    answers = [""] * len(texts)
    todo = [i for i, t in enumerate(texts) if _long_enough(t)]
    for i, lang in zip(todo, walker.classify([texts[i] for i in todo]), strict=True):
        answers[i] = lang
    return answers


def _long_enough(text: str) -> bool:
    """detect()'s length test, stopping as soon as MIN_LETTERS letters are seen."""
    letters = 0
    for match in WORD_RE.finditer(text):
        word = match.group()
        if not word.isdigit():
            letters += len(word)
            if letters >= MIN_LETTERS:
                return True
    return False


@cache
def _walker():
    try:
        walker = _BatchWalker(_identifier())
        samples = [
            "Le système de crédit social chinois : miroir pour l’Occident, dit-il.",
            "Überwachung ist allgegenwärtig, und dennoch ist das System nicht das",
            "The final version of China’s national social credit system remains",
            "CODICI SALUTE E CREDITI SOCIALI. Cosa ci racconta la Cina del futuro",
            "Twitter, Facebook, Instagram, YouTube, TikTok, Telegram, WhatsApp 2024",
        ]
        if walker.classify(samples) != [_identifier().classify(t)[0] for t in samples]:
            return None
        return walker
    except Exception:  # noqa: BLE001 - any surprise in py3langid's internals: the slow path
        return None


class _BatchWalker:
    def __init__(self, identifier):
        import numpy as np

        self.np = np
        self.identifier = identifier
        nextmove = identifier.tk_nextmove  # viewed, not copied (tens of MB)
        self.nextmove = np.frombuffer(nextmove, dtype=f"u{nextmove.itemsize}")
        self.rowbase = np.asarray(identifier._rowbase, dtype=np.int64)
        self.output = np.asarray(identifier.tk_output, dtype=np.int64)
        self.features = identifier.nb_ptc.shape[0]
        self.depth = self._max_depth()

    def _max_depth(self) -> int:
        """How deep the automaton's states are: breadth-first from the start state."""
        np = self.np
        depth = np.full(len(self.rowbase), -1)
        depth[0], frontier, level = 0, np.array([0]), 0
        while len(frontier):
            level += 1
            reached = np.unique(
                np.concatenate(
                    [  # in slices: bounded temporary memory
                        np.unique(
                            self.nextmove[(self.rowbase[part][:, None] + np.arange(256)).ravel()]
                        )
                        for part in np.array_split(frontier, -(-len(frontier) // 1024))
                    ]
                )
            )
            frontier = reached[depth[reached] < 0]
            depth[frontier] = level
        return int(depth.max())

    def classify(self, texts: list[str]) -> list[str]:
        if not texts:
            return []
        from py3langid.langid import RAW_FLOOR

        np, ident = self.np, self.identifier
        encoded = [ident._encode(t) for t in texts]
        lengths = np.array([len(e) for e in encoded], dtype=np.int64)
        data = np.frombuffer(b"".join(encoded), dtype=np.uint8).astype(np.int64)
        starts = np.cumsum(lengths) - lengths
        offset = np.arange(len(data)) - np.repeat(starts, lengths)  # position inside its text
        state = np.zeros(len(data), dtype=np.int64)
        for k in range(self.depth - 1, -1, -1):
            at = np.flatnonzero(offset >= k)
            state[at] = self.nextmove[self.rowbase[state[at]] + data[at - k]]
        found = self.output[state]
        keep = found >= 0
        segment = np.repeat(np.arange(len(texts)), lengths)[keep]
        keys, counts = np.unique(segment * self.features + found[keep], return_counts=True)
        owner, feature = keys // self.features, keys % self.features
        # Each text's score: sum over its features of log(1 + count) * weights, plus the prior:
        # py3langid's product, done for every text at once (sums equal up to float rounding).
        weighted = np.log1p(counts.astype(np.float32))[:, None] * ident.nb_ptc[feature]
        scores = np.full((len(texts), len(ident.nb_classes)), RAW_FLOOR, dtype=np.float32)
        has_features = np.unique(owner)
        if len(has_features):
            starts = np.searchsorted(owner, has_features)
            scores[has_features] = np.add.reduceat(weighted, starts, axis=0) + ident.nb_pc
        for i, j in ident._alias_pairs:
            scores[:, i] = np.maximum(scores[:, i], scores[:, j])
            scores[:, j] = RAW_FLOOR
        return [ident.nb_classes[k] for k in scores.argmax(axis=1)]
