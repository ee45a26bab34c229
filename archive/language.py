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


def detect_paragraphs(paragraphs: list[str]) -> tuple[list[str], str]:
    """Language of each paragraph and of the whole: the one covering the most characters.

    Paragraphs too short to tell take the article's language.
    """
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
