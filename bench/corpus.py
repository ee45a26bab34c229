"""A deterministic synthetic corpus in the bulleted export format, and the queries measured on it.

    python bench/corpus.py 100000 bench/out/corpus       # writes files + queries.json

The corpus is cut into files of FILE_POSTS posts (like one dump per user): file i is generated
from its own seed, so the 100,000-post corpus is the first ten files of the 1,000,000-post one.
Each post: a title, a source URL, two to four paragraphs of French, German, English or Italian
(Zipf-distributed words: a few shared words land in most posts, a long tail of invented words and
rare proper names; German also has compounds of its common nouns, "Überwachungsgesetz", in a few
percent of its posts), sometimes an inline #hashtag or URL, a hashtag line of 1-7 tags drawn
from a Zipf-distributed vocabulary of thousands, and under about 10% of posts one or two replies.

The query set is derived from file 0 (present at every size): per class, queries built from words
and tags that really occur, phrases copied from real posts. The hard classes: the commonest
words (in 50-90% of posts), two of them, a phrase of them; a word with a typo (common and
mid-frequency words), a compound's leading or trailing part, a compound's parts written apart,
a phrase with a typo; facets and a sort by date (entries starting with "?" are the API's whole
query string).
"""

from __future__ import annotations

import itertools
import json
import random
import sys
from collections import Counter
from pathlib import Path

FILE_POSTS = 10_000
SEED = 20261122
TAIL_WORDS = 12_000  # invented words per language
NAMES = 30_000  # rare proper names, shared by all languages
TAGS = 5_000

# Words shared by every language: they end up in most posts (the "very common word" class).
SHARED = [
    "surveillance",
    "internet",
    "police",
    "europe",
    "data",
    "social",
    "contrôle",
    "media",
    "article",
    "information",
    "crise",
    "climat",
    "gaza",
    "ukraine",
    "macron",
    "covid",
]
HEADS = {
    "fr": "de la le et les des en un une du pour que qui dans est sur pas par au plus ce il sont "
    "avec se ne ou mais comme son sa leurs été aussi cette être fait entre tout sans après "
    "politique gouvernement état pays travail santé droit loi ville monde guerre police "
    "société histoire économie président réforme ministre public femmes enfants logement "
    "école université justice prison frontière migrants réfugiés syndicat grève salaires "
    "énergie nucléaire agriculture eau forêt pollution données numérique réseaux presse "
    "liberté démocratie élection parlement violence manifestation répression écologie "
    "capitalisme banque dette impôts retraite hôpital médecins vaccin épidémie mémoire",
    "de": "der die und in den von zu das mit sich des auf für ist im dem nicht ein eine als auch "
    "es an werden aus er hat dass sie nach wird bei einer um am sind noch wie einem über "
    "Regierung Politik Gesellschaft Arbeit Überwachung Wirtschaft Staat Recht Gesetz Stadt "
    "Krieg Geschichte Zeitung Polizei Bürger Freiheit Demokratie Wahl Grenze Flüchtlinge "
    "Gewerkschaft Streik Löhne Energie Atomkraft Landwirtschaft Wasser Wald Umwelt Daten "
    "Netz Presse Gewalt Demonstration Unterdrückung Kapitalismus Bank Schulden Steuern "
    "Rente Krankenhaus Ärzte Impfung Seuche Erinnerung Schule Universität Gericht",
    "en": "the of and to in a is that for it as was with be by on not he this are or his from at "
    "which but have an they you were their one all we can her has there been if more when "
    "government politics society work economy state law city world war history police "
    "people freedom democracy election border refugees union strike wages energy nuclear "
    "farming water forest pollution digital networks press violence protest repression "
    "capitalism bank debt taxes pension hospital doctors vaccine epidemic memory school "
    "university justice prison company workers platform technology research report",
    "it": "di e il la che in per un del non una le è a con della si i da al sono dei anche come "
    "più nel ma ha delle alla gli lo sul se questo tra essere dopo senza governo politica "
    "società lavoro economia stato legge città mondo guerra storia polizia libertà "
    "democrazia elezioni confine rifugiati sindacato sciopero salari energia nucleare "
    "agricoltura acqua foresta inquinamento dati rete stampa violenza manifestazione "
    "repressione capitalismo banca debito tasse pensione ospedale medici vaccino memoria",
}
LANG_WEIGHTS = {"fr": 45, "en": 25, "de": 20, "it": 10}
SYLLABLES = {
    "fr": "ba be bi bon cha che cou dé dou fa fé gne jou la lé lou ma mé mon na né oi pa pé "
    "pou qui ra ré rou sa sé son ta té tou va vé vou eau ette ier ion".split(),
    "de": "ba be ber bur da de del dorf en er fa feld ge gen hal hau ka kei la lei ma mei na "
    "nei rau schaft sche stein ta ter ung ver wa we wei zu".split(),
    "en": "ba be bo ca co da de di er fa fo ga ing ive la le ly ma me mo na ne no ous pa pe "
    "ra re ro sa se so ta te tion to va ve wa".split(),
    "it": "ba be bi ca ce ci co da de di fa fe ga gi la le li lo ma me mi na ne no pa pe "
    "ra re ri sa se si ta te ti to va ve zio".split(),
}
NAME_SYLLABLES = (
    "ka ri lo ven dra mus tel bor quin ya zé hal nor fik sto ael gur mi an vik "
    "dor pel sa tor ul bra che"
).split()
SITES = [
    "www.lemonde.fr",
    "www.mediapart.fr",
    "www.theguardian.com",
    "www.spiegel.de",
    "www.ilmanifesto.it",
    "www.liberation.fr",
    "taz.de",
    "www.nytimes.com",
    "blog.example.org",
    "www.lesoir.be",
    "www.repubblica.it",
    "www.zeit.de",
    "theintercept.com",
    "reporterre.net",
]


def german_compounds() -> list[str]:
    """Compounds of the German common nouns (a linking "s" after -ung, -heit, -keit, -schaft,
    -tät, -ion, as German writes them): what the compound search must find from their parts."""
    nouns = [w for w in HEADS["de"].split() if w[:1].isupper()]
    compounds = []
    for i, first in enumerate(nouns):
        second = nouns[(i * 7 + 3) % len(nouns)]
        if second == first:
            continue
        link = "s" if first.endswith(("ung", "heit", "keit", "schaft", "tät", "ion")) else ""
        compounds.append(first + link + second.lower())
    return compounds


COMPOUND_RANK, COMPOUND_STEP = 150, 8  # where compounds sit among the German words


def _zipf_cum(n: int, s: float = 1.0) -> list[float]:
    return list(itertools.accumulate(1.0 / (r + 1) ** s for r in range(n)))


def _invent(
    rng: random.Random, syllables: list[str], count: int, taken: set[str], lo: int = 2, hi: int = 4
) -> list[str]:
    out = []
    while len(out) < count:
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(lo, hi)))
        if word not in taken:
            taken.add(word)
            out.append(word)
    return out


class Vocabulary:
    """Everything drawn from: built once from SEED, identical for every file and size."""

    def __init__(self, seed: int = SEED):
        rng = random.Random(seed)
        taken = set(SHARED) | {w.lower() for h in HEADS.values() for w in h.split()}
        self.words: dict[str, list[str]] = {}
        self.cum: dict[str, list[float]] = {}
        for lang, head in HEADS.items():
            words = head.split()
            # Shared words sit among the first ranks of every language.
            for i, shared in enumerate(SHARED):
                words.insert(3 + 4 * i, shared)
            words += _invent(rng, SYLLABLES[lang], TAIL_WORDS, taken)
            if lang == "de":
                for i, compound in enumerate(german_compounds()):
                    words.insert(COMPOUND_RANK + COMPOUND_STEP * i, compound)
            self.words[lang] = words
            self.cum[lang] = _zipf_cum(len(words), 1.05)
        self.names = [n.capitalize() for n in _invent(rng, NAME_SYLLABLES, NAMES, taken, 3, 4)]
        self.names_cum = _zipf_cum(len(self.names), 0.9)
        tag_words = [w for lang in HEADS for w in self.words[lang][:400] if w.isalpha()]
        tags: list[str] = []
        seen_tags: set[str] = set()
        while len(tags) < TAGS:
            parts = rng.sample(tag_words, rng.choice((1, 1, 1, 2, 2, 3)))
            tag = "_".join(parts)
            if rng.random() < 0.3:
                tag = tag.capitalize()
            if tag.casefold() not in seen_tags:
                seen_tags.add(tag.casefold())
                tags.append(tag)
        self.tags = tags
        self.tags_cum = _zipf_cum(len(tags), 1.0)
        self.langs = list(LANG_WEIGHTS)
        self.lang_cum = list(itertools.accumulate(LANG_WEIGHTS.values()))


def _sentence(rng: random.Random, vocab: Vocabulary, lang: str, n: int) -> list[str]:
    words = rng.choices(vocab.words[lang], cum_weights=vocab.cum[lang], k=n)
    if rng.random() < 0.35:
        words[rng.randrange(n)] = rng.choices(vocab.names, cum_weights=vocab.names_cum)[0]
    return words


def _paragraph(
    rng: random.Random,
    vocab: Vocabulary,
    lang: str,
    lines: list[str],
    inline_tag: bool,
    inline_url: bool,
) -> str:
    sentences = []
    for _ in range(rng.randint(1, 3)):
        words = _sentence(rng, vocab, lang, rng.randint(8, 22))
        words[0] = words[0].capitalize()
        sentences.append(" ".join(words) + rng.choice(".....?!;"))
    if inline_tag:
        tag = rng.choices(vocab.tags, cum_weights=vocab.tags_cum)[0]
        cut = sentences[0].split(" ")
        cut.insert(rng.randrange(1, len(cut)), "#" + tag)
        sentences[0] = " ".join(cut)
    if inline_url:
        sentences.append(f"https://{rng.choice(SITES)}/{rng.randrange(10**6)}")
    text = " ".join(sentences)
    # Wrap long paragraphs on several lines now and then, as pasted text often is.
    if len(text) > 160 and rng.random() < 0.3:
        cut = text.rfind(" ", 0, len(text) // 2)
        lines.append(text[:cut])
        lines.append(text[cut + 1 :])
    else:
        lines.append(text)
    return text


def write_file(
    path: Path, index: int, vocab: Vocabulary, posts: int = FILE_POSTS, sample: dict | None = None
) -> None:
    """One dump file of `posts` posts; `sample`, when given, collects statistics for queries."""
    rng = random.Random(SEED * 1_000_003 + index)
    out: list[str] = []
    with open(path, "w", encoding="utf-8") as handle:
        for n in range(posts):
            lang = rng.choices(vocab.langs, cum_weights=vocab.lang_cum)[0]
            title = _sentence(rng, vocab, lang, rng.randint(4, 10))
            title[0] = title[0].capitalize()
            out.append(("• " if n == 0 else "  • ") + " ".join(title))
            slug = "-".join(title[:5]).lower()
            out.append(f"    https://{rng.choice(SITES)}/{index}/{n}/{slug}")
            body: list[str] = []
            paragraphs = []
            for p in range(rng.randint(2, 4)):
                lines: list[str] = []
                paragraphs.append(
                    _paragraph(
                        rng,
                        vocab,
                        lang,
                        lines,
                        inline_tag=p == 0 and rng.random() < 0.2,
                        inline_url=rng.random() < 0.1,
                    )
                )
                body.extend("    " + line for line in lines)
                body.append("")
            tags = list(
                dict.fromkeys(
                    rng.choices(vocab.tags, cum_weights=vocab.tags_cum, k=rng.randint(1, 7))
                )
            )
            body.append("    " + " ".join("#" + t for t in tags))
            out.extend(body)
            if rng.random() < 0.09:
                for _ in range(rng.choice((1, 1, 2))):
                    out.append("")
                    reply_lines: list[str] = []
                    _paragraph(
                        rng,
                        vocab,
                        lang,
                        reply_lines,
                        inline_tag=rng.random() < 0.3,
                        inline_url=False,
                    )
                    out.append("    • " + reply_lines[0])
                    out.extend("      " + line for line in reply_lines[1:])
            out.append("")
            if sample is not None:
                sample["posts"].append(
                    {"title": " ".join(title), "paragraphs": paragraphs, "tags": tags}
                )
            if len(out) > 5000:
                handle.write("\n".join(out) + "\n")
                out = []
        handle.write("\n".join(out) + "\n")


def _words(text: str) -> list[str]:
    import re

    return re.findall(r"[^\W\d_]+", text.casefold())


def derive_queries(sample_posts: list[dict], seed: int = SEED) -> dict[str, list[str]]:
    """Per class, a few queries built from what really occurs in the sampled posts."""
    rng = random.Random(seed)
    df: Counter[str] = Counter()
    post_words = []
    for post in sample_posts:
        words = set(_words(post["title"] + " " + " ".join(post["paragraphs"])))
        post_words.append(words)
        df.update(words)
    tag_df = Counter(t.casefold() for p in sample_posts for t in p["tags"])
    n = len(sample_posts)
    common = [w for w, c in df.most_common(40) if c > n / 2][:4]
    rare = sorted(w for w, c in df.items() if c == 1 and w[:1].isalpha())
    rare = rng.sample(rare, 4)
    mid = [w for w, c in df.items() if n * 0.01 < c < n * 0.05 and len(w) > 4]
    queries: dict[str, list[str]] = {"common": common, "rare": rare}
    two, phrase, words_tag, negated = [], [], [], []
    for post, words in rng.sample(list(zip(sample_posts, post_words, strict=True)), 400):
        in_post = sorted(w for w in words if w in mid)
        if len(two) < 4 and len(in_post) >= 2:
            two.append(" ".join(rng.sample(in_post, 2)))
        text_words = post["paragraphs"][0].split()
        plain = [w for w in text_words if w.isalpha()]
        if len(phrase) < 4 and len(plain) >= 8:
            start = rng.randrange(0, len(text_words) - 4)
            chunk = text_words[start : start + 4]
            if all(w.strip(".?!;,").isalpha() for w in chunk):
                phrase.append('"' + " ".join(w.strip(".?!;,") for w in chunk) + '"')
        popular_tags = [t for t in post["tags"] if tag_df[t.casefold()] > n * 0.01]
        if len(words_tag) < 4 and in_post and popular_tags:
            words_tag.append(f"{rng.choice(in_post)} #{rng.choice(popular_tags)}")
        if len(negated) < 4 and len(in_post) >= 2:
            negated.append(f"{in_post[0]} -{common[len(negated) % len(common)]}")
    top_tags = [t for t, _ in tag_df.most_common(200)]
    queries.update(
        {
            "two_words": two,
            "phrase": phrase,
            "tag": ["#" + t for t in (top_tags[0], top_tags[5], top_tags[50], top_tags[199])],
            "words_tag": words_tag,
            "not_word": negated,
        }
    )
    queries.update(_hard_queries(rng, sample_posts, post_words, df, common, mid, phrase))
    queries["_document_frequency_in_file_0"] = {
        w: round(df[w.casefold()] / n, 4)
        for w in queries["common"] + queries["rare"] + queries["_compounds"]
    }
    return queries


def _typo(rng: random.Random, word: str, df: Counter) -> str:
    """The word with one edit a hurried typist makes (two neighbours swapped, a letter dropped
    or doubled), that the corpus does not contain."""
    for _ in range(50):
        i = rng.randrange(1, len(word) - 2)
        kind = rng.choice(("swap", "drop", "double"))
        if kind == "swap":
            typo = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        elif kind == "drop":
            typo = word[:i] + word[i + 1 :]
        else:
            typo = word[:i] + word[i] + word[i:]
        if typo != word and typo not in df:
            return typo
    raise ValueError(f"no typo of {word!r}")


def _hard_queries(rng, sample_posts, post_words, df, common, mid, phrases) -> dict:
    n = len(sample_posts)
    frequent = {w for w, c in df.items() if c > n * 0.2}
    common_phrase = []
    for post in sample_posts:
        words = [w.strip(".?!;,") for w in post["paragraphs"][0].split()]
        for start in range(len(words) - 3):
            chunk = words[start : start + 3]
            if all(w.isalpha() and w.casefold() in frequent for w in chunk):
                quoted = '"' + " ".join(chunk) + '"'
                if quoted not in common_phrase:
                    common_phrase.append(quoted)
                break
        if len(common_phrase) == 4:
            break
    long_mid = sorted(w for w in mid if len(w) >= 6 and w.isalpha())
    typo = [_typo(rng, w, df) for w in common[:2] + rng.sample(long_mid, 2)]
    nouns = {w.casefold(): w for w in HEADS["de"].split() if w[:1].isupper()}

    def parts(compound: str) -> tuple[str, str]:
        lowered = compound.casefold()
        for first in sorted(nouns, key=len, reverse=True):
            if lowered.startswith(first):
                rest = lowered[len(first) :]
                rest = rest[1:] if rest[:1] == "s" and rest[1:] in nouns else rest
                return nouns[first], nouns[rest]
        raise ValueError(compound)

    # Parts of 6 letters or more: shorter ones are not looked for inside compounds.
    compounds = [
        c for c in german_compounds() if c.casefold() in df and min(map(len, parts(c))) >= 6
    ]
    chosen = rng.sample(compounds, 4)
    split = [parts(c) for c in chosen]
    phrase_typo = []
    for quoted in phrases:
        words = quoted.strip('"').split()
        longest = max(range(len(words)), key=lambda i: len(words[i]))
        words[longest] = _typo(rng, words[longest], df) if len(words[longest]) >= 5 else words[0]
        phrase_typo.append('"' + " ".join(words) + '"')
    two_common = [f"{common[0]} {common[1]}", f"{common[1]} {common[2]}"]
    two_common += [f"{common[2]} {common[3]}", f"{common[0]} {common[3]}"]
    return {
        "two_common": two_common,
        "common_phrase": common_phrase,
        "typo": typo,
        "compound_part": [split[0][0], split[1][1], split[2][0], split[3][1]],
        "compound_apart": [f"{b} {a}" for a, b in split],
        "phrase_typo": phrase_typo,
        "facets": [f"?q={q}&facets=1" for q in (common[0], common[2], long_mid[0], split[0][0])],
        "sort_newest": [f"?q={q}&sort=newest" for q in (common[0], two_common[1])]
        + [f"?q={q}&sort=oldest" for q in (common[3], long_mid[1])],
        "_compounds": chosen,
    }


def ensure_corpus(root: Path, posts: int) -> tuple[list[Path], dict]:
    """The first `posts` posts as dump files under root (reused when already written)."""
    root.mkdir(parents=True, exist_ok=True)
    vocab = None
    files = []
    count = -(-posts // FILE_POSTS)
    queries_file = root / "queries.json"
    for index in range(count):
        path = root / f"dump_{index:04d}.txt"
        size = min(FILE_POSTS, posts - index * FILE_POSTS)
        marker = root / f".dump_{index:04d}.{size}.done"
        files.append(path)
        if marker.exists() and (index or queries_file.exists()):
            continue
        vocab = vocab or Vocabulary()
        sample = {"posts": []} if index == 0 else None
        for old in root.glob(f".dump_{index:04d}.*.done"):
            old.unlink()
        write_file(path, index, vocab, size, sample)
        if sample is not None:
            queries_file.write_text(
                json.dumps(derive_queries(sample["posts"]), indent=1, ensure_ascii=False)
            )
        marker.touch()
    return files, json.loads(queries_file.read_text())


def posts_written(path: Path) -> int | None:
    """How many posts ensure_corpus() wrote to a dump file (read from its marker), or None."""
    for marker in path.parent.glob(f".{path.stem}.*.done"):
        return int(marker.name.split(".")[2])
    return None


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    files, queries = ensure_corpus(Path(argv[1]), int(argv[0]))
    print(f"{len(files)} file(s) in {argv[1]}")
    print(json.dumps(queries, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
