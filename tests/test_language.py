"""Language detection: the importer's batched detector gives py3langid's answers, text by text."""

from __future__ import annotations

import logging
import random
from types import SimpleNamespace

import pytest

from archive import language
from tests.base import DEMO_DUMPS, SHARED_DUMPS

DUMPS = [*sorted(DEMO_DUMPS.glob("*.txt")), *sorted(SHARED_DUMPS.glob("*.txt"))]


def _paragraphs() -> list[str]:
    texts = []
    for path in DUMPS:
        blocks = path.read_text(encoding="utf-8", errors="replace").split("\n\n")
        texts += [block.strip() for block in blocks if block.strip()]
    assert len(texts) > 100, "the dumps should give plenty of real paragraphs"
    return texts


def _samples() -> list[str]:
    """Real paragraphs, and the same cut at random places, upper-cased, mixed and decorated:
    texts of every length from one byte, including starts shorter than the automaton's depth."""
    rng = random.Random(7)
    real = _paragraphs()
    samples = list(real)
    for text in real:
        cut = rng.randrange(1, max(2, len(text)))
        samples += [text[:cut], text[-cut:], text.upper(), f"🙂 {text[:cut]} — #Chine"]
    for _ in range(300):
        samples.append(" ".join(rng.sample(real, 2))[: rng.randrange(1, 400)])
    samples += ["", "a", "ab", "é", "ß", "中文", "Überwachung", "L’État"]
    return samples


def _deepest_texts(walker) -> list[str]:
    """Texts holding the automaton's longest features (its deepest states): breadth-first from
    the start state, keeping the bytes that lead to each state."""
    import numpy as np

    path = {0: b""}
    frontier = [0]
    while frontier:
        following = []
        for state in frontier:
            targets = walker.nextmove[walker.rowbase[state] + np.arange(256)]
            for byte, target in enumerate(targets.tolist()):
                if target not in path:
                    path[target] = path[state] + bytes([byte])
                    following.append(target)
        frontier = following
    deepest = [p for p in path.values() if len(p) == walker.depth]
    texts = [p.decode("utf-8", errors="ignore") for p in deepest]
    return [f"Le texte {t} et la suite." for t in texts if len(t.encode()) == walker.depth]


def test_the_batched_walk_is_in_use():
    # None means py3langid changed its internals and every import fell back to the slow path.
    assert language._walker() is not None


def test_py3langid_internals_are_the_ones_the_batched_walk_reads():
    language.check_internals(language._identifier())  # raises InternalsChanged otherwise


def _changed(**attributes) -> SimpleNamespace:
    """The identifier's internals as a new py3langid release might change them."""
    identifier = language._identifier()
    names = ["tk_nextmove", "_rowbase", "tk_output", "nb_ptc", "nb_pc", "nb_classes"]
    names += ["_alias_pairs", "_encode", "classify"]
    kept = {name: getattr(identifier, name) for name in names}
    kept.update(attributes)
    return SimpleNamespace(**{k: v for k, v in kept.items() if v is not None})


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda i: {"_rowbase": None}, "attributes ['_rowbase']"),
        (lambda i: {"_rowbase": [r >> 8 for r in i._rowbase]}, "pre-multiplied by 256"),
        (lambda i: {"tk_nextmove": list(i.tk_nextmove[:1000])}, "flat buffer of integers"),
        (lambda i: {"tk_output": [f + 1 for f in i.tk_output]}, "-1 for none"),
        (lambda i: {"nb_ptc": i.nb_ptc.T}, "features × languages"),
        (lambda i: {"_encode": str.lower}, "_encode"),
    ],
)
def test_changed_internals_are_refused_loudly(change, problem, caplog):
    changed = _changed(**change(language._identifier()))
    with pytest.raises(language.InternalsChanged, match="expected") as failure:
        language.check_internals(changed)
    assert problem in str(failure.value)
    with caplog.at_level(logging.WARNING, logger="archive.language"):
        assert language._checked_walker(changed) is None
    assert problem in caplog.text and "falls back" in caplog.text


def test_without_the_batched_walk_detect_many_still_answers(monkeypatch):
    samples = _samples()[:300]
    expected = language.detect_many(samples)
    monkeypatch.setattr(language, "_walker", lambda: None)
    assert language.detect_many(samples) == expected


def test_batched_walk_finds_py3langid_features():
    from py3langid.langid import visit_counts

    identifier, walker = language._identifier(), language._walker()
    deepest = _deepest_texts(walker)
    assert deepest, "the model's longest features should show up in some UTF-8 text"
    samples = _samples() + deepest
    owner, feature, counts = walker.feature_counts(samples)
    found = [{} for _ in samples]
    for text, f, n in zip(owner.tolist(), feature.tolist(), counts.tolist(), strict=True):
        found[text][f] = n
    for text, features in zip(samples, found, strict=True):
        expected = visit_counts(
            identifier.tk_nextmove,
            identifier._rowbase,
            identifier.tk_output,
            identifier._encode(text),
        )
        assert features == dict(expected or {}), text


def test_batched_walk_scores_like_py3langid():
    samples = _samples()
    identifier = language._identifier()
    expected = [identifier.classify(text)[0] for text in samples]
    assert language._walker().classify(samples) == expected


def test_detect_many_answers_like_detect():
    samples = _samples()
    assert language.detect_many(samples) == [language.detect(text) for text in samples]


def test_batches_of_any_size_agree():
    samples = _samples()[:600]
    whole = language.detect_many(samples)
    pieces = []
    for start in range(0, len(samples), 37):
        pieces += language.detect_many(samples[start : start + 37])
    assert pieces == whole


def _fresh_model(monkeypatch, var_dir):
    """language._model() as a new process runs it, with ARCHIVE_VAR_DIR at `var_dir`."""
    monkeypatch.setenv("ARCHIVE_VAR_DIR", str(var_dir))
    return language._model()


def _same_model(found, expected) -> None:
    import numpy as np

    for got, want in zip(found, expected, strict=True):
        if isinstance(want, np.ndarray):
            assert got.dtype == want.dtype and np.array_equal(got, want)
        else:
            assert type(got) is type(want) and got == want


def test_the_model_is_decompressed_once_then_read_from_its_cache(monkeypatch, tmp_path):
    decompressed = language.load_model(language.MODEL_DIR / language.MODEL_FILE)
    model = _fresh_model(monkeypatch, tmp_path)
    cache = language.model_cache_path()
    assert cache.parent == tmp_path / "cache" and cache.is_file()
    _same_model(model, decompressed)

    def no_decompressing(path):
        raise AssertionError("the model should come from its cache")

    monkeypatch.setattr(language, "load_model", no_decompressing)
    cached = _fresh_model(monkeypatch, tmp_path)
    _same_model(cached, decompressed)
    # Built from the cached arrays, the detector answers as py3langid's own does.
    ptc, pc, classes, nextmove, rows, output = cached
    identifier = language.LanguageIdentifier(
        language.np.asarray(ptc), language.np.asarray(pc), classes, nextmove, output, tk_row=rows
    )
    identifier.set_languages(language.LANGUAGES)
    samples = _paragraphs()[:200]
    assert [identifier.classify(t)[0] for t in samples] == [
        language._identifier().classify(t)[0] for t in samples
    ]


def test_a_damaged_cache_is_replaced_and_an_unwritable_place_is_no_error(monkeypatch, tmp_path):
    expected = language.load_model(language.MODEL_DIR / language.MODEL_FILE)
    monkeypatch.setenv("ARCHIVE_VAR_DIR", str(tmp_path))
    cache = language.model_cache_path()
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"PK\x03\x04 not a whole npz file")
    _same_model(_fresh_model(monkeypatch, tmp_path), expected)
    _same_model(language._read_model(cache), expected)  # rewritten whole
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    _same_model(_fresh_model(monkeypatch, blocked), expected)
    assert not (blocked / "cache").exists()
