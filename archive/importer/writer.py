"""Writing parsed posts: batched, idempotent (unchanged posts are skipped by content hash).

Posts go in batches of BATCH_SIZE: existing keys are looked up in one query, the changed posts
are prepared (importer/prepare.py, in the worker process for large imports), then written: new
articles and hashtag uses as plain rows (rows.py), changed ones through the ORM, replies upserted
by key, and each batch's search rows at once. The caller holds the file's transaction.
"""

from __future__ import annotations

import json
from collections import Counter, deque

from django.db import connection
from django.utils import timezone

from annotations.models import Commentary, TaggedCommentary
from archive.hashtags import get_or_create_hashtags
from archive.importer.decode import TextSource
from archive.importer.errors import DumpError
from archive.importer.fields import IMPORTED_ARTICLE_FIELDS
from archive.importer.parse import ParsedPost, stable_key
from archive.importer.prepare import PreparedPost, inputs, prepare_batch, prepared
from archive.importer.results import FileResult
from archive.importer.rows import allocate_ids, insert_rows
from archive.importer.worker import PreparationWorker
from archive.models import Article, TaggedArticle
from archive.search.backends import get_backend
from archive.search.backends.base import IndexDocument
from archive.search.index import index_articles
from archive.text import HASHTAG_MAX, hashtag_key

BATCH_SIZE = 500
ARTICLE_FIELDS = IMPORTED_ARTICLE_FIELDS


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _paragraphs(post: ParsedPost, item: PreparedPost) -> list[dict]:
    langs = item.paragraph_langs
    return [{"text": t, "lang": lang} for t, lang in zip(post.paragraphs, langs, strict=True)]


class BatchWriter:
    """Posts in, rows out: batches are prepared (importer/prepare.py), then written in order.

    With a worker process, up to IN_FLIGHT batches are prepared there while this process parses
    the next posts and writes the previous batch.
    """

    IN_FLIGHT = 2

    def __init__(
        self, source: TextSource, result: FileResult, worker: PreparationWorker | None = None
    ):
        self.source = source
        self.result = result
        self.worker = worker
        # (posts, prepared posts or None while the worker has them, their rows in the archive)
        self.pending: deque = deque()
        self.batch: list[ParsedPost] = []
        self.keys_in_file: dict[str, int] = {}
        self.seen = 0
        self.now = timezone.now()
        self.usage_deltas: Counter[int] = Counter()  # articles added minus removed, per hashtag
        self.new_spellings: set[int] = set()  # hashtags written other than their current name
        # Hashtags by key, as found or created in this file's transaction: most batches use the
        # same common hashtags again.
        self.hashtags: dict = {}

    def add(self, post: ParsedPost) -> None:
        for tag in post.hashtags:
            if len(tag) > HASHTAG_MAX:
                raise DumpError(self.source.path, post.line, f"hashtag #{tag[:40]}… is too long")
        base = stable_key("post", post.identity())
        n = self.keys_in_file.get(base, 0) + 1
        self.keys_in_file[base] = n
        post.key = base if n == 1 else stable_key(base, str(n))
        self.batch.append(post)
        self.seen += 1
        if len(self.batch) >= BATCH_SIZE:
            self._submit(self.batch)
            self.batch = []

    def flush(self) -> None:
        if self.batch:
            self._submit(self.batch)
            self.batch = []
        while self.pending:
            self._write_next()

    def abandon(self) -> None:
        if self.worker is not None:
            self.worker.discard()
        self.pending.clear()

    def _submit(self, posts: list[ParsedPost]) -> None:
        # Keys are unique within a file, so an earlier batch still in flight cannot add one of
        # these: looking them up now is safe.
        existing = {
            key: (pk, digest)
            for key, pk, digest in Article.objects.filter(
                external_key__in=[p.key for p in posts]
            ).values_list("external_key", "pk", "content_hash")
        }
        changed = []
        for post in posts:
            post.digest = post.content_hash()
            known = existing.get(post.key)
            if known and known[1] == post.digest:
                self.result.unchanged += 1
            else:
                changed.append(post)
        if not changed:
            return
        if self.worker is None:
            self.pending.append((changed, prepare_batch(changed), existing))
        else:
            self.worker.submit(inputs(changed))
            self.pending.append((changed, None, existing))
        while len(self.pending) > (self.IN_FLIGHT if self.worker else 0):
            self._write_next()

    def _write_next(self) -> None:
        posts, ready, existing = self.pending.popleft()
        self._write(
            ready if ready is not None else prepared(posts, self.worker.next_result()), existing
        )

    def _write(self, prepared: list[PreparedPost], existing: dict) -> None:
        source_file = str(self.source.path)[-500:]
        new_items = [item for item in prepared if item.post.key not in existing]
        new_ids = self._insert_articles(new_items, source_file)
        to_update = []
        for item in prepared:
            post = item.post
            known = existing.get(post.key)
            if known:
                to_update.append(
                    Article(
                        pk=known[0],
                        title=post.title,
                        url=post.url,
                        paragraphs=_paragraphs(post, item),
                        language=item.language,
                        links=post.links,
                        mentions=post.mentions,
                        external_key=post.key,
                        content_hash=post.digest,
                        source_file=source_file,
                        source_line=post.line,
                        created=self.now,
                        updated=self.now,
                    )
                )
        Article.objects.bulk_update(to_update, ARTICLE_FIELDS)
        self.result.new += len(new_items)
        self.result.updated += len(to_update)
        updated_ids = [a.pk for a in to_update]
        updated_left, new_left = iter(updated_ids), iter(new_ids)
        # (post, article id) in file order
        changed_posts = [
            (item.post, next(updated_left) if item.post.key in existing else next(new_left))
            for item in prepared
        ]

        spellings = [t for post, _ in changed_posts for t in post.hashtags]
        spellings += [
            t
            for post, _ in changed_posts
            for r in post.replies
            for t in r.hashtags
            if len(t) <= HASHTAG_MAX
        ]
        missing = [t for t in spellings if hashtag_key(t) not in self.hashtags]
        if missing:
            self.hashtags.update(get_or_create_hashtags(missing))
        tags = self.hashtags
        old_uses = TaggedArticle.objects.filter(content_object_id__in=updated_ids)
        for tag_id in old_uses.values_list("tag_id", flat=True):
            self.usage_deltas[tag_id] -= 1
        old_uses.delete()
        uses = [
            (article_id, tags[hashtag_key(t)].pk, t)
            for post, article_id in changed_posts
            for t in post.hashtags
        ]
        insert_rows(TaggedArticle._meta.db_table, ["content_object_id", "tag_id", "spelling"], uses)
        for _, tag_id, _ in uses:
            self.usage_deltas[tag_id] += 1
        for spelling in spellings:
            tag = tags[hashtag_key(spelling)]
            self.result.tags.add(tag.pk)
            if spelling != tag.name:  # only then can the most common spelling change
                self.new_spellings.add(tag.pk)
        self._write_replies(changed_posts, tags)
        # New articles are indexed from what was prepared (they have no index row yet);
        # updated ones from the database, since they may carry curator notes too.
        get_backend().insert(
            [
                IndexDocument(
                    article_id=article_id,
                    title=item.index_title,
                    tags=item.index_tags,
                    commentary=item.index_commentary,
                    body=item.index_body,
                    tag_keys=tuple(
                        dict.fromkeys(tags[hashtag_key(t)].search_key for t in item.post.hashtags)
                    ),
                )
                for item, article_id in zip(new_items, new_ids, strict=True)
            ]
        )
        if updated_ids:
            index_articles(updated_ids)

    def _insert_articles(self, items: list[PreparedPost], source_file: str) -> list[int]:
        """Rows for the new articles, without the ORM; their ids."""
        table = Article._meta.db_table
        now = connection.ops.adapt_datetimefield_value(self.now)
        ids = allocate_ids(table, len(items))
        insert_rows(
            table,
            [
                "id", "title", "url", "paragraphs", "language", "links", "mentions",
                "external_key", "content_hash", "source_file", "source_line", "created", "updated",
            ],
            [
                (
                    pk, p.title, p.url, _json(_paragraphs(p, item)), item.language, _json(p.links),
                    _json(p.mentions), p.key, p.digest, source_file, p.line, now, now,
                )
                for pk, item in zip(ids, items, strict=True)
                for p in (item.post,)
            ],
        )  # fmt: skip
        return ids

    def _write_replies(self, changed_posts, tags) -> None:
        keyed = {
            f"{post.key}:{n}": (article_id, reply, n)
            for post, article_id in changed_posts
            for n, reply in enumerate(post.replies, start=1)
        }
        if not keyed:
            return
        existing = {
            c.external_key: c for c in Commentary.objects.filter(external_key__in=list(keyed))
        }
        new_keys = [key for key in keyed if key not in existing]
        note_ids = dict(
            zip(new_keys, allocate_ids(Commentary._meta.db_table, len(new_keys)), strict=True)
        )
        now = connection.ops.adapt_datetimefield_value(self.now)
        # New replies as plain rows (see rows.py); the columns not listed keep their defaults.
        insert_rows(
            Commentary._meta.db_table,
            [
                "id", "article_id", "text", "author_name", "origin", "quote_exact",
                "quote_prefix", "quote_suffix", "external_key", "position", "source_line",
                "created", "updated",
            ],
            [
                (
                    note_ids[key], keyed[key][0], keyed[key][1].text, "",
                    Commentary.Origin.REPLY.value, "", "", "", key, keyed[key][2],
                    keyed[key][1].line, now, now,
                )
                for key in new_keys
            ],
        )  # fmt: skip
        to_update = []
        for key, note in existing.items():
            _, reply, _ = keyed[key]
            if note.text != reply.text:
                note.text, note.updated, note.source_line = reply.text, self.now, reply.line
                to_update.append(note)
                note_ids[key] = note.pk
        Commentary.objects.bulk_update(to_update, ["text", "updated", "source_line"])
        self.result.replies += len(keyed)
        TaggedCommentary.objects.filter(content_object__in=to_update).delete()
        insert_rows(
            TaggedCommentary._meta.db_table,
            ["content_object_id", "tag_id", "spelling"],
            [
                (note_ids[key], tags[hashtag_key(t)].pk, t)
                for key, (_, reply, _) in keyed.items()
                if key in note_ids
                for t in reply.hashtags
                if hashtag_key(t) in tags
            ],
        )
