"""Language of paragraphs and articles, with py3langid (its model ships in the wheel)."""

from __future__ import annotations

import logging
import os
import tempfile
from array import array
from collections import Counter
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
from py3langid import langid
from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier
from py3langid.modelio import load_model

from archive.text import WORD_RE

# The languages people post in here; restricting the model makes short paragraphs reliable.
LANGUAGES = ["fr", "de", "en", "it", "es", "pt", "nl"]
MIN_LETTERS = 25
# A text's language is told from its first SAMPLE_CHARS characters: as sure as from all of it,
# and the batched walk below takes ~40 bytes of memory per byte of text it reads at once.
SAMPLE_CHARS = 20_000
# Texts are walked in groups of at most this many characters (of samples).
GROUP_CHARS = 1 << 20

logger = logging.getLogger(__name__)


@cache
def _identifier():
    # As LanguageIdentifier.from_model_file builds it, from the same arrays.
    ptc, pc, classes, nextmove, rows, output = _model()
    identifier = LanguageIdentifier(
        np.asarray(ptc), np.asarray(pc), classes, nextmove, output, norm_probs=False, tk_row=rows
    )
    identifier.set_languages(LANGUAGES)
    return identifier


# py3langid ships its model xz-compressed: decompressing it took over a second in every process
# that tells a language (each import's worker, each web process at its first article). The
# decompressed arrays are kept in a cache file, read back in a tenth of that. The cache lives in
# the archive's var directory (ARCHIVE_VAR_DIR, read as settings.py reads it: the import's
# worker runs without Django); without a writable one, the model is decompressed every time.
MODEL_CACHE_ARRAYS = ("ptc", "pc", "classes", "nextmove", "rows", "output")


def model_cache_path() -> Path:
    """The cache file of this py3langid release's model."""
    var = Path(os.environ.get("ARCHIVE_VAR_DIR", Path(__file__).resolve().parent.parent / "var"))
    size = (MODEL_DIR / MODEL_FILE).stat().st_size
    return var / "cache" / f"py3langid-{_py3langid_version()}-{size}.npz"


def _model() -> tuple:
    """py3langid's load_model() answer: from the cache file, else decompressed (and cached)."""
    path = model_cache_path()
    try:
        return _read_model(path)
    except Exception:  # noqa: BLE001 - missing, unreadable or damaged: decompress instead
        pass
    model = load_model(MODEL_DIR / MODEL_FILE)
    try:
        _write_model(path, model)
    except OSError as error:
        logger.info("language model not cached in %s: %s", path.parent, error)
    return model


def _read_model(path: Path) -> tuple:
    with np.load(path, allow_pickle=False) as data:
        ptc, pc, classes, nextmove, rows, output = (data[name] for name in MODEL_CACHE_ARRAYS)
    if not (ptc.shape[1] == len(pc) == len(classes) and len(rows) == len(output)):
        raise ValueError(f"{path}: arrays of inconsistent sizes")
    return ptc, pc, classes.tolist(), _as_array(nextmove), _as_array(rows), output.tolist()


def _write_model(path: Path, model: tuple) -> None:
    ptc, pc, classes, nextmove, rows, output = model
    arrays = {
        "ptc": ptc,
        "pc": pc,
        "classes": np.array(classes),
        "nextmove": np.frombuffer(nextmove, dtype=f"u{nextmove.itemsize}"),
        "rows": np.frombuffer(rows, dtype=f"u{rows.itemsize}"),
        "output": np.asarray(output, dtype=np.int32),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written whole under another name, then renamed: a reader never sees half a file.
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as out:
        try:
            np.savez(out, **arrays)
        except BaseException:
            os.unlink(out.name)
            raise
    os.replace(out.name, path)


def _as_array(values: np.ndarray) -> array:
    """Unsigned integers as the stdlib array py3langid keeps them in ('H', 'I' or 'L')."""
    found = array({2: "H", 4: "I", 8: "L"}[values.dtype.itemsize])
    found.frombytes(np.ascontiguousarray(values).tobytes())
    return found


def detect(text: str) -> str:
    """The language of a text, or "" when it is too short to tell."""
    text = text[:SAMPLE_CHARS]
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
    paragraphs). It reads py3langid's private attributes: a self-check (check_internals, then
    the samples against py3langid) falls back to detect(), logging a warning, if a release
    ever changes them.
    """
    walker = _walker()
    if walker is None:
        return [detect(t) for t in texts]
    answers = [""] * len(texts)
    samples = [t[:SAMPLE_CHARS] for t in texts]
    todo = [i for i, t in enumerate(samples) if _long_enough(t)]
    for group in _groups(todo, samples):
        for i, lang in zip(group, walker.classify([samples[i] for i in group]), strict=True):
            answers[i] = lang
    return answers


def _groups(indices: list[int], texts: list[str]):
    """The indices in runs of at most GROUP_CHARS characters of text (at least one each)."""
    group: list[int] = []
    size = 0
    for i in indices:
        if group and size + len(texts[i]) > GROUP_CHARS:
            yield group
            group, size = [], 0
        group.append(i)
        size += len(texts[i])
    if group:
        yield group


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


SELF_CHECK_SAMPLES = [
    "Le système de crédit social chinois : miroir pour l’Occident, dit-il.",
    "Überwachung ist allgegenwärtig, und dennoch ist das System nicht das",
    "The final version of China’s national social credit system remains",
    "CODICI SALUTE E CREDITI SOCIALI. Cosa ci racconta la Cina del futuro",
    "Twitter, Facebook, Instagram, YouTube, TikTok, Telegram, WhatsApp 2024",
]


class InternalsChanged(Exception):
    """py3langid's private attributes are not what _BatchWalker was written against."""


@cache
def _walker():
    return _checked_walker(_identifier())


def _checked_walker(identifier):
    """A _BatchWalker for `identifier` once the self-check passes; else None, with a warning.

    _BatchWalker reads py3langid's private attributes (checked with the version pyproject.toml
    pins). If a release changes them, imports keep py3langid's own answers through detect(),
    only slower, and say so in the log; tests/test_language.py fails.
    """
    try:
        check_internals(identifier)
        walker = _BatchWalker(identifier)
        if walker.classify(SELF_CHECK_SAMPLES) != [
            identifier.classify(t)[0] for t in SELF_CHECK_SAMPLES
        ]:
            raise InternalsChanged("the batched walk and py3langid disagree on the samples")
        return walker
    except Exception as error:  # noqa: BLE001 - any surprise in py3langid's internals
        logger.warning(
            "py3langid %s: %s; language detection falls back to py3langid's slower path "
            "(archive/language.py, check the py3langid pin in pyproject.toml).",
            _py3langid_version(),
            error,
        )
        return None


def check_internals(identifier) -> None:
    """Raise InternalsChanged naming what differs from the py3langid internals _BatchWalker
    reads: the automaton (tk_nextmove, _rowbase, tk_output), the model (nb_ptc, nb_pc,
    nb_classes, _alias_pairs), _encode and RAW_FLOOR."""

    def expect(condition, what: str) -> None:
        if not condition:
            raise InternalsChanged(f"expected {what}")

    missing = [
        name
        for name in (
            "tk_nextmove",
            "_rowbase",
            "tk_output",
            "nb_ptc",
            "nb_pc",
            "nb_classes",
            "_alias_pairs",
            "_encode",
        )
        if not hasattr(identifier, name)
    ]
    expect(not missing, f"LanguageIdentifier attributes {missing} to exist")
    expect(isinstance(getattr(langid, "RAW_FLOOR", None), float), "py3langid.langid.RAW_FLOOR")
    nextmove, rowbase, output = identifier.tk_nextmove, identifier._rowbase, identifier.tk_output
    view = memoryview(nextmove) if hasattr(nextmove, "itemsize") else None
    expect(
        view is not None
        and view.ndim == 1
        and view.format in {"b", "B", "h", "H", "i", "I", "l", "L", "q", "Q"}
        and view.itemsize == nextmove.itemsize,
        "tk_nextmove to be a flat buffer of integers (array.array)",
    )
    moves = np.frombuffer(nextmove, dtype=f"u{nextmove.itemsize}")
    states = len(output)
    expect(
        len(rowbase) == states and all(int(r) % 256 == 0 for r in rowbase[:1000]),
        "_rowbase to hold one row offset per state, pre-multiplied by 256",
    )
    expect(
        len(moves) >= int(max(rowbase)) + 256 and int(moves.max()) < states,
        "tk_nextmove to have 256 moves per row, to states that exist",
    )
    classes, ptc_shape = len(identifier.nb_classes), getattr(identifier.nb_ptc, "shape", ())
    expect(
        len(ptc_shape) == 2
        and ptc_shape[1] == classes
        and getattr(identifier.nb_pc, "shape", None) == (classes,),
        "nb_ptc to be features × languages and nb_pc one prior per language",
    )
    expect(
        int(np.min(output)) == -1 and int(np.max(output)) < ptc_shape[0],
        "tk_output to give a feature index per state, -1 for none",
    )
    expect(
        all(len(pair) == 2 for pair in identifier._alias_pairs),
        "_alias_pairs to be (first, duplicate) column pairs",
    )
    expect(identifier._encode("Ab é") == "Ab é".encode(), "_encode to give the text's UTF-8")


def _py3langid_version() -> str:

    try:
        return version("py3langid")
    except PackageNotFoundError:
        return "(version unknown)"


class _BatchWalker:
    def __init__(self, identifier):
        self.np = np
        self.identifier = identifier
        nextmove = identifier.tk_nextmove  # viewed, not copied (tens of MB)
        self.nextmove = np.frombuffer(nextmove, dtype=f"u{nextmove.itemsize}")
        self.rowbase = np.asarray(identifier._rowbase, dtype=np.int64)
        self.output = np.asarray(identifier.tk_output, dtype=np.int64)
        self.features = identifier.nb_ptc.shape[0]
        self.depth = self._max_depth()
        # The walk below goes from table row to table row: the row reached by each move, so a
        # step is one lookup (the state itself is needed only after the last byte).
        rowbase = self.rowbase.astype(np.int32)
        self.next_row = rowbase[self.nextmove]
        self.start_row = int(rowbase[0])
        byte = np.arange(256, dtype=np.int32)
        # The rows after the first one and two bytes from the start: a small table (256 KB)
        # that stays in the CPU cache, in place of two lookups in the large one.
        self.row_after_1 = self.next_row[self.start_row + byte]
        self.row_after_2 = self.next_row[(self.row_after_1[:, None] + byte).ravel()]

    def _max_depth(self) -> int:
        """How deep the automaton's states are: breadth-first from the start state."""
        np = self.np
        seen = np.zeros(len(self.rowbase), dtype=bool)
        seen[0], frontier, level = True, np.array([0]), 0
        while True:
            reached = np.zeros(len(self.rowbase), dtype=bool)
            for part in np.array_split(frontier, -(-len(frontier) // 1024)):  # bounded memory
                reached[self.nextmove[(self.rowbase[part][:, None] + np.arange(256)).ravel()]] = 1
            frontier = np.flatnonzero(reached & ~seen)
            if not len(frontier):
                return level
            seen[frontier] = True
            level += 1

    def feature_counts(self, texts: list[str]):
        """How often each model feature occurs in each text, as three arrays sorted by text:
        the text's index, the feature, the count (py3langid's visit_counts, for every text)."""
        np, depth = self.np, self.depth
        encoded = [self.identifier._encode(t) for t in texts]
        lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
        data = np.frombuffer(b"".join(encoded), dtype=np.uint8).astype(np.int32)
        size = len(data)
        starts = np.cumsum(lengths) - lengths
        # Position inside its text: a text's first bytes have fewer bytes before them to walk.
        offset = np.arange(size, dtype=np.int32) - np.repeat(starts, lengths).astype(np.int32)

        def back(k):  # the byte k places before each position (0 where there is none)
            shifted = np.zeros(size, dtype=np.int32)
            shifted[k:] = data[: size - k]
            return shifted

        # Walk the `depth` bytes ending at every position, from the start state, all positions
        # at once: the first two moves from the small table, then one step per byte.
        row = np.full(size, self.start_row, dtype=np.int32)
        if depth >= 2:
            first, second = back(depth - 1), back(depth - 2)
            np.copyto(row, self.row_after_2[(first << 8) | second], where=offset >= depth - 1)
            np.copyto(row, self.row_after_1[second], where=offset == depth - 2)
            steps = range(depth - 3, 0, -1)
        else:
            steps = range(depth - 1, 0, -1)
        for k in steps:
            np.copyto(row, self.next_row[row + back(k)], where=offset >= k)
        found = self.output[self.nextmove[row + data]]
        keep = found >= 0
        segment = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)[keep]
        key = segment * self.features + found[keep]
        if len(texts) * self.features < 2**31:
            key = key.astype(np.int32)  # sorts faster
        keys, counts = np.unique(key, return_counts=True)
        return keys // self.features, keys % self.features, counts

    def classify(self, texts: list[str]) -> list[str]:
        if not texts:
            return []
        np, ident = self.np, self.identifier
        owner, feature, counts = self.feature_counts(texts)
        # Each text's score: sum over its features of log(1 + count) * weights, plus the prior:
        # py3langid's product, done for every text at once (sums equal up to float rounding).
        weighted = np.log1p(counts.astype(np.float32))[:, None] * ident.nb_ptc[feature]
        scores = np.full((len(texts), len(ident.nb_classes)), langid.RAW_FLOOR, dtype=np.float32)
        if len(owner):
            first_of_text = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
            scores[owner[first_of_text]] = (
                np.add.reduceat(weighted, first_of_text, axis=0) + ident.nb_pc
            )
        for i, j in ident._alias_pairs:
            scores[:, i] = np.maximum(scores[:, i], scores[:, j])
            scores[:, j] = langid.RAW_FLOOR
        return [ident.nb_classes[k] for k in scores.argmax(axis=1)]
