"""A curator says where a plain article's reader comments start, joins a comment's paragraphs,
or puts the comments back into the text (the rule itself: archive/reader_comments.py).

The comments become imported replies keyed as an import of the article's dump keys them
("<article key>:<n>", after the dump's own replies), so a later re-import updates the same rows;
the article remembers the split (Article.curator_comments_split) and every import applies it.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from annotations.models import Commentary
from annotations.notes import note_hashtags
from archive.changes import record_change
from archive.hashtags import (
    get_or_create_hashtags,
    refresh_hashtags,
    set_commentary_hashtags,
    use_spelling,
)
from archive.language import detect_paragraphs
from archive.models import Article, HashtagRemoval, TaggedArticle
from archive.reader_comments import CommentsSplit, group_comments, paragraph_mark
from archive.text import hashtag_key, split_spans


class SplitError(ValueError):
    """A split that cannot be made; the message is shown to the curator."""


def current_split(article: Article) -> CommentsSplit:
    return CommentsSplit.from_json(article.curator_comments_split)


def reader_comments(article: Article) -> list[Commentary]:
    """The replies that are the article's reader comments, in order."""
    split = current_split(article)
    if not split:
        return []
    return list(
        article.commentary.filter(
            origin=Commentary.Origin.REPLY,
            external_key__isnull=False,
            position__gte=split.first_reply,
        ).order_by("position")
    )


@transaction.atomic
def split_comments(article: Article, index: int) -> int:
    """Paragraphs from `index` on become reader comments; returns how many comments."""
    article = Article.objects.select_for_update().get(pk=article.pk)
    if current_split(article):
        raise SplitError(_("Put the reader comments back into the text first."))
    texts = [p["text"] for p in article.paragraphs]
    if not 1 <= index < len(texts):
        raise SplitError(_("There is no such paragraph to start the comments at."))
    first_reply = (
        article.commentary.filter(origin=Commentary.Origin.REPLY, external_key__isnull=False)
        .order_by("-position")
        .values_list("position", flat=True)
        .first()
        or 0
    ) + 1
    split = CommentsSplit(paragraph_mark(texts[index]), (), index, first_reply)
    comments = texts[index:]
    now = timezone.now()
    for n, group in enumerate(group_comments(comments, split), start=first_reply):
        reply = Commentary.objects.create(
            article=article,
            text="\n\n".join(group),
            origin=Commentary.Origin.REPLY,
            external_key=f"{article.external_key}:{n}",
            position=n,
            created=now,
            updated=now,
        )
        set_commentary_hashtags(reply, note_hashtags(reply.text))
    _set_text(article, texts[:index], split)
    return len(comments)


@transaction.atomic
def join_comment(reply: Commentary) -> Commentary:
    """Join a reader comment to the one before it; returns the joined comment."""
    article = Article.objects.select_for_update().get(pk=reply.article_id)
    split = current_split(article)
    comments = reader_comments(article)
    at = next((i for i, c in enumerate(comments) if c.pk == reply.pk), None)
    if at is None or at == 0:
        raise SplitError(_("Only a reader comment after another one can be joined to it."))
    previous, reply = comments[at - 1], comments[at]
    previous.text = f"{previous.text}\n\n{reply.text}"
    previous.updated = timezone.now()
    previous.save(update_fields=["text", "updated"])
    tag_ids = list(reply.hashtags.values_list("pk", flat=True))
    reply.delete()
    # The later comments move up one place; their keys follow, as a re-import would key them.
    for later in comments[at + 1 :]:
        later.position -= 1
        later.external_key = f"{article.external_key}:{later.position}"
        later.save(update_fields=["position", "external_key"])
    set_commentary_hashtags(previous, note_hashtags(previous.text))
    refresh_hashtags(tag_ids)
    mark = paragraph_mark(reply.text.split("\n\n")[0])
    joined = CommentsSplit(split.start, (*split.joined, mark), split.at, split.first_reply)
    article.curator_comments_split = joined.to_json()
    article.save(update_fields=["curator_comments_split"])
    record_change([article.pk])
    return previous


@transaction.atomic
def unsplit_comments(article: Article) -> None:
    """Put the reader comments back at the end of the article's text."""
    article = Article.objects.select_for_update().get(pk=article.pk)
    comments = reader_comments(article)
    texts = [p["text"] for p in article.paragraphs]
    moved = [t for c in comments for t in c.text.split("\n\n")]
    tag_ids = set()
    for reply in comments:
        tag_ids.update(reply.hashtags.values_list("pk", flat=True))
        reply.delete()
    refresh_hashtags(tag_ids)
    _set_text(article, texts + moved, CommentsSplit())


def _set_text(article: Article, texts: list[str], split: CommentsSplit) -> None:
    """The article's paragraphs become `texts`: languages, links and the dump's hashtags follow
    (a hashtag written only in a comment tags the comment, not the article), as an import of
    the dump with this split would give."""
    before = [p["text"] for p in article.paragraphs]
    langs, language = detect_paragraphs(texts)
    article.paragraphs = [{"text": t, "lang": lang} for t, lang in zip(texts, langs, strict=True)]
    article.language = language
    spans = [s for t in [article.title, *texts] for s in split_spans(t)]
    urls = {s.value for s in spans if s.kind == "url"}
    gone = {s.value for t in before for s in split_spans(t) if s.kind == "url"} - urls
    article.links = [link for link in article.links if link not in gone]
    article.links += [u for u in dict.fromkeys(urls) if u not in article.links and u != article.url]
    article.curator_comments_split = split.to_json()
    article.save(update_fields=["paragraphs", "language", "links", "curator_comments_split"])
    _follow_text_hashtags(article, before, spans)
    record_change([article.pk])


def _follow_text_hashtags(article: Article, before: list[str], spans) -> None:
    """The dump's hashtags written in the text that moved: off the article when they are no
    longer in its text, on it when they came back (unless a curator took them off)."""
    in_text = {hashtag_key(s.value): s.value for s in spans if s.kind == "hashtag"}
    was = {hashtag_key(s.value) for t in before for s in split_spans(t) if s.kind == "hashtag"}
    uses = TaggedArticle.objects.filter(content_object=article).select_related("tag")
    dump_uses = {u.tag.key: u for u in uses if u.origin == TaggedArticle.Origin.DUMP}
    on_article = {u.tag.key for u in uses}
    touched = []
    for key in was - set(in_text):
        if key in dump_uses:
            touched.append(dump_uses[key].tag_id)
            dump_uses[key].delete()
    back = {key: spelling for key, spelling in in_text.items() if key not in on_article}
    if back:
        removed = set(
            HashtagRemoval.objects.filter(article=article).values_list("tag_id", flat=True)
        )
        tags = get_or_create_hashtags(back.values())
        for key, spelling in back.items():
            tag = tags[key]
            if tag.pk in removed or tag.key in on_article:  # taken off, or an alias of one on
                continue
            on_article.add(tag.key)
            TaggedArticle.objects.create(
                content_object=article, tag=tag, spelling=use_spelling(spelling, tag)
            )
            touched.append(tag.pk)
    refresh_hashtags(touched)
