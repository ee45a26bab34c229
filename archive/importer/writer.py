"""Writing posts, from any reader (parse.py, jsonformat.py): batched and idempotent.

Posts go in batches of BATCH_SIZE. Existing keys are looked up in one query; a text dump's post
whose content hash is unchanged is skipped. The others are prepared (prepare.py: paragraph
languages and search columns, in the worker process for large imports; a JSON export's posts
carry their languages already), then written: new articles and hashtag uses as plain rows
(rows.py), changed ones through the ORM, commentary upserted by key (a JSON export's keyless
curator notes by article, text and date), the anchors of the commentary on changed articles
moved to where their passages now are (annotations/reanchoring.py), and each batch's search rows
at once. The caller holds the file's transaction and records the change at its end.

On SQLite (staging.py) the writer opens its own short transactions instead (pacing.py), its new
articles hidden until the file is published; the posts that change existing articles are kept
aside (spool.py) and written by publish(), inside the publishing transaction.

What a dump decides and what a restore keeps: a text dump's post takes its key from its URL and
title, its dates from the import; a JSON export's post keeps its key, dates, languages and
content hash, and its commentary keeps its authors, anchors and dates.
"""

from __future__ import annotations

import json
from collections import Counter, deque
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from annotations.models import Commentary, TaggedCommentary
from annotations.reanchoring import follow_text
from archive.hashtags import get_or_create_hashtags, use_spelling
from archive.importer.errors import DumpError
from archive.importer.fields import (
    COMMENTARY_FIELDS,
    EXPORTED_ARTICLE_FIELDS,
    IMPORTED_ARTICLE_FIELDS,
    RESTORED_ARTICLE_COLUMNS,
)
from archive.importer.limits import BATCH_CHARS, MAX_HASHTAGS
from archive.importer.pacing import DEFERRED_BATCHES, WritePacer
from archive.importer.parse import shorten
from archive.importer.posts import ParsedCommentary, ParsedPost, stable_key
from archive.importer.prepare import PreparedPost, inputs, prepare_batch, prepared
from archive.importer.results import FileResult
from archive.importer.rows import allocate_ids, insert_rows
from archive.importer.spool import PostSpool
from archive.importer.staging import Staging
from archive.importer.worker import PreparationWorker
from archive.models import Article, HashtagAlias, HashtagRemoval, TaggedArticle, sort_date_for
from archive.reader_comments import CommentsSplit
from archive.search.analysis import TERMS_PER_ARTICLE
from archive.search.backends import get_backend
from archive.search.backends.base import IndexDocument
from archive.search.heads import head_of, insert_heads
from archive.search.index import index_articles
from archive.text import HASHTAG_MAX, hashtag_key

BATCH_SIZE = 500
ASCII_JSON_CHARS = 1 << 20
ARTICLE_COLUMNS = ["id", "external_key", *RESTORED_ARTICLE_COLUMNS]
COMMENTARY_COLUMNS = ["article_id", "author_id", *COMMENTARY_FIELDS]
# What a later text dump may change in an imported reply (the rest is the curators' or fixed).
REPLY_FIELDS = ["text", "updated", "source_line"]
# What curators decided about an article's dump (archive/models.py): a re-import keeps it.
CURATOR_DECISIONS = ["curator_comments_split", "curator_fields"]


def _json(value, size: int = 0) -> str:
    # A long text is written with \u escapes: one byte a character in memory, where the text
    # itself may take four (Python stores a string at the width of its widest character).
    return json.dumps(value, ensure_ascii=size > ASCII_JSON_CHARS)


def _chars(post: ParsedPost) -> int:
    """A post's characters of text, to keep batches small in memory."""
    return (
        len(post.title)
        + sum(map(len, post.paragraphs))
        + sum(len(p) for r in post.replies for p in r.paragraphs)
    )


@dataclass
class _Entry:
    """One commentary of a written post, and its row once found or made."""

    article_id: int
    commentary: ParsedCommentary
    key: str | None
    position: int
    row: Commentary | None = None


class BatchWriter:
    """Posts in, rows out: batches are prepared (importer/prepare.py), then written in order.

    With a worker process, up to IN_FLIGHT batches are prepared there while this process parses
    the next posts and writes the previous batch.
    """

    IN_FLIGHT = 2

    def __init__(
        self,
        path,
        result: FileResult,
        worker: PreparationWorker | None = None,
        staging: Staging | None = None,
    ) -> None:
        self.path = path
        self.staging = staging or Staging(batched=False)
        batched = self.staging.batched
        self.pacer = WritePacer() if batched else None
        self.spool = PostSpool() if batched else None
        self.publishing = False
        self.source_file = str(path)[-500:]
        self.result = result
        self.worker = worker
        # (posts, prepared posts or None while the worker has them, their rows in the archive)
        self.pending: deque = deque()
        self.batch: list[ParsedPost] = []
        self.batch_chars = 0
        self.keys_in_file: dict[str, int] = {}
        self.seen = 0
        self.now = timezone.now()
        self.usage_deltas: Counter[int] = Counter()  # articles added minus removed, per hashtag
        self.renamed: set[int] = set()  # hashtags whose most common spelling may have changed
        # Hashtags by key, as found or created in this file's transaction: most batches use the
        # same common hashtags again.
        self.hashtags: dict = {}
        self.users: dict[str, int | None] = {}
        # Most archives have no renamed hashtag: then no batch looks aliases up.
        self.aliases = HashtagAlias.objects.exists()

    def add(self, post: ParsedPost) -> None:
        for tag in post.hashtags:
            if len(tag) > HASHTAG_MAX:
                raise DumpError(self.path, post.line, f"hashtag #{tag[:40]}… is too long")
        self._warn_hashtags_left_out(post)
        if not post.key:
            base = stable_key("post", post.identity())
            n = self.keys_in_file.get(base, 0) + 1
            self.keys_in_file[base] = n
            post.key = base if n == 1 else stable_key(base, str(n))
        self.batch.append(post)
        self.batch_chars += _chars(post)
        self.seen += 1
        if len(self.batch) >= BATCH_SIZE or self.batch_chars >= BATCH_CHARS:
            self._submit(self.batch)
            self.batch, self.batch_chars = [], 0

    def _warn_hashtags_left_out(self, post: ParsedPost) -> None:
        """A post or reply with more than MAX_HASHTAGS hashtags: the first ones are its
        hashtags, the others stay text (a JSON export's are left out)."""
        fate = "are left out" if post.restored is not None else "stay in its text"
        items = [(post.line, "this post", post.hashtags_left_out)]
        items += [(r.line or post.line, "a reply", r.hashtags_left_out) for r in post.replies]
        for line, what, left_out in items:
            if left_out:
                self.result.warnings.append(
                    f"{self.path}:{line}: {what} has {MAX_HASHTAGS + left_out:,} hashtags: "
                    f"the first {MAX_HASHTAGS} are its hashtags, the other {left_out:,} {fate}"
                )

    def _warn_cut(self, post: ParsedPost, cut: tuple[tuple[str, int], ...]) -> None:
        """A post over the search index's budget: say which words search will not find."""
        parts = ", ".join(f"its {column} after {words:,} words" for column, words in cut)
        self.result.warnings.append(
            f"{self.path}:{post.line}: too long to be searched in full: search does not find "
            f"the words of {parts} (an article's index holds {TERMS_PER_ARTICLE:,} terms); "
            "they are kept and shown"
        )

    def flush(self) -> None:
        if self.batch:
            self._submit(self.batch)
            self.batch, self.batch_chars = [], 0
        self._drain(0, final=True)

    def publish(self) -> None:
        """Inside the transaction publishing the file: write the posts kept aside, those that
        change existing articles (looked up again: curators may have edited them meanwhile)."""
        if self.spool is None:
            return
        self.publishing = True
        try:
            for posts in self.spool.batches():
                self._submit(posts)
            self.flush()
        finally:
            self.spool.close()

    def abandon(self) -> None:
        if self.worker is not None:
            self.worker.discard()
        self.pending.clear()

    def _drain(self, keep: int, *, final: bool = False) -> None:
        """Write the pending batches but the last `keep` (those the worker may still be
        preparing). Inside the file's transaction; or, staged, in paced transactions of their
        own, each batch's prepared posts fetched before the write lock is taken."""
        if self.pacer is None or self.publishing:
            while len(self.pending) > keep:
                self._write_next()
            return
        while len(self.pending) > keep:
            if (
                not final
                and not self.pacer.may_write()
                and len(self.pending) <= keep + DEFERRED_BATCHES
            ):
                return  # parse on while others may write
            self._resolve(len(self.pending) - keep)
            with self.pacer.transaction() as long_enough:
                while len(self.pending) > keep:
                    self._write_next()
                    if long_enough():
                        break

    def _resolve(self, count: int) -> None:
        """The prepared posts of the first `count` pending batches, from the worker."""
        for i in range(count):
            posts, ready, existing = self.pending[i]
            if ready is None:
                self.pending[i] = (posts, prepared(posts, self.worker.next_result()), existing)

    def _submit(self, posts: list[ParsedPost]) -> None:
        # Keys are unique within a file, so an earlier batch still in flight cannot add one of
        # these: looking them up now is safe.
        restoring = posts[0].restored is not None  # one file, one format
        fields = EXPORTED_ARTICLE_FIELDS if restoring else ["content_hash", *CURATOR_DECISIONS]
        existing = {
            row["external_key"]: row
            for row in Article.objects.filter(external_key__in=[p.key for p in posts]).values(
                "pk", "external_key", *fields
            )
        }
        for post in posts:
            post.digest = post.content_hash()
        if self.spool is not None and not self.publishing:
            posts, existing = self._set_aside_changes(posts, existing, restoring), {}
        changed = []
        for post in posts:
            if restoring:
                changed.append(post)
            elif self._take_text_post(post, existing.get(post.key)):
                changed.append(post)
            else:
                self.result.unchanged += 1
        if not changed:
            return
        if not restoring:
            self._load_curator_fields(existing)
        if restoring:  # languages and dates as exported; indexed from the rows once written
            ready = [
                PreparedPost(p, p.restored.paragraph_langs, p.restored.language) for p in changed
            ]
            self.pending.append((changed, ready, existing))
        elif self.worker is None:
            self.pending.append((changed, prepare_batch(changed), existing))
        else:
            self.worker.submit(inputs(changed))
            self.pending.append((changed, None, existing))
        self._drain(self.IN_FLIGHT if self.worker else 0)

    def _set_aside_changes(
        self, posts: list[ParsedPost], existing: dict, restoring: bool
    ) -> list[ParsedPost]:
        """Staged: the new posts, to write now (hidden); those that change existing articles go
        to the spool for the publishing transaction; a text dump's unchanged ones are counted."""
        new, later = [], []
        for post in posts:
            known = existing.get(post.key)
            if known is None:
                new.append(post)
            elif not restoring and self._unchanged(post, known):
                self.result.unchanged += 1
            else:
                later.append(post)
        self.spool.add(later)
        return new

    @staticmethod
    def _unchanged(post: ParsedPost, known: dict) -> bool:
        """A text dump's post that would not change its article: same content, and no other
        place for its reader comments asked (--comments-from)."""
        remembered = CommentsSplit.from_json(known["curator_comments_split"])
        asked = post.comments_split
        return known["content_hash"] == post.digest and (
            asked is None or asked.start == remembered.start
        )

    def _take_text_post(self, post: ParsedPost, known: dict | None) -> bool:
        """Whether a text dump's post changes the archive; if so, its reader comments are split
        off as the import (--comments-from) or, failing that, the curators said."""
        remembered = CommentsSplit.from_json(known["curator_comments_split"] if known else None)
        asked = post.comments_split
        if known and self._unchanged(post, known):
            return False
        split = CommentsSplit(asked.start, remembered.joined, asked.at) if asked else remembered
        post.comments_split = split
        found = post.move_to_replies(split) if split else "text"
        if found != "text":
            where = f"{self.path}:{post.line}: the paragraph where the reader comments started"
            self.result.warnings.append(
                f"{where} (“{shorten(split.start, 60)}”) was edited: "
                + (
                    f"they still start at paragraph {split.at + 1}"
                    if found
                    else "they are article text until a curator says where they start"
                )
            )
        return True

    def _load_curator_fields(self, existing: dict) -> None:
        """The fields curators edited on these articles, as they left them: kept on re-import."""
        edited = [row for row in existing.values() if row["curator_fields"]]
        names = sorted({name for row in edited for name in row["curator_fields"]})
        if not edited:
            return
        current = {
            row["pk"]: row
            for row in Article.objects.filter(pk__in=[row["pk"] for row in edited]).values(
                "pk", *names
            )
        }
        for row in edited:
            row["kept"] = {name: current[row["pk"]][name] for name in row["curator_fields"]}

    def _write_next(self) -> None:
        posts, ready, existing = self.pending.popleft()
        self._write(
            ready if ready is not None else prepared(posts, self.worker.next_result()), existing
        )

    def _write(self, items: list[PreparedPost], existing: dict) -> None:
        new_items = [item for item in items if item.post.key not in existing]
        ids = dict(
            zip((i.post.key for i in new_items), self._insert_articles(new_items), strict=True)
        )
        to_update, fields = [], IMPORTED_ARTICLE_FIELDS
        for item in items:
            known = existing.get(item.post.key)
            if known is None:
                continue
            ids[item.post.key] = known["pk"]
            values = self._article_values(item, known)
            if known.get("kept"):
                values.update(known["kept"])
                self.result.curator_fields += 1
            if item.post.restored is not None:
                fields = RESTORED_ARTICLE_COLUMNS
                if all(known[name] == values[name] for name in EXPORTED_ARTICLE_FIELDS):
                    self.result.unchanged += 1
                    continue
            to_update.append(Article(pk=known["pk"], external_key=item.post.key, **values))
        Article.objects.bulk_update(to_update, fields)
        self.result.new += len(new_items)
        self.result.updated += len(to_update)
        self.result.new_ids += [ids[item.post.key] for item in new_items]
        self.result.updated_ids += [article.pk for article in to_update]
        written = [(item.post, ids[item.post.key]) for item in items]
        kept_ids = [ids[item.post.key] for item in items if item.post.key in existing]
        tags = self._hashtags_of(written)
        self._write_hashtag_uses(written, kept_ids, tags)
        self._write_commentary(written, tags, kept_ids)
        # Anchors follow the text: the commentary of every article whose text may have changed
        # (a restored article's is checked too: an export may have been edited by hand).
        self.result.anchors += follow_text(
            {
                ids[item.post.key]: self._text_written(item, existing.get(item.post.key))
                for item in items
                if item.post.key in existing or item.post.restored is not None
            }
        )
        # New articles of a text dump are indexed from what was prepared (they have no index row
        # yet); the others from the database, since they may carry curator notes too.
        # (a post naming a renamed hashtag by its old spelling is indexed from its rows too)
        fresh = [
            item
            for item in new_items
            if item.index_title is not None
            and all(tags[hashtag_key(t)].key == hashtag_key(t) for t in item.post.hashtags)
        ]
        words = {w for item in items for w in item.new_words}
        get_backend().insert(
            [
                IndexDocument(
                    article_id=ids[item.post.key],
                    title=item.index_title,
                    tags=item.index_tags,
                    commentary=item.index_commentary,
                    body=item.index_body,
                    tag_keys=tuple(
                        dict.fromkeys(tags[hashtag_key(t)].search_key for t in item.post.hashtags)
                    ),
                )
                for item in fresh
            ],
            words=words,
        )
        for item in fresh:
            if item.index_cut:
                self._warn_cut(item.post, item.index_cut)
        fresh_keys = {item.post.key for item in fresh}
        rest = [item.post for item in items if item.post.key not in fresh_keys]
        if rest:
            cut: dict[int, tuple] = {}
            index_articles([ids[post.key] for post in rest], cut=cut)
            for post in rest:
                if ids[post.key] in cut:
                    self._warn_cut(post, cut[ids[post.key]])

    @staticmethod
    def _text_written(item: PreparedPost, known: dict | None) -> str:
        """An updated article's text as written: the dump's, or the curators' if they edited it."""
        kept = (known or {}).get("kept", {})
        if "paragraphs" in kept:
            return "\n\n".join(p["text"] for p in kept["paragraphs"])
        return "\n\n".join(item.post.paragraphs)

    def _article_values(self, item: PreparedPost, known: dict | None) -> dict:
        post, restored = item.post, item.post.restored
        values = {
            "title": post.title,
            "url": post.url,
            "attribution": post.attribution,
            "paragraphs": [
                {"text": t, "lang": lang}
                for t, lang in zip(post.paragraphs, item.paragraph_langs, strict=True)
            ],
            "language": item.language,
            "links": post.links,
            "mentions": post.mentions,
            "content_hash": post.digest,
            "source_file": self.source_file if restored is None else restored.source_file,
            "source_line": post.line if restored is None else restored.source_line,
            "created": self.now if known is None else known.get("created"),
            "updated": self.now,
            "curator_comments_split": (post.comments_split or CommentsSplit()).to_json(),
            "curator_fields": known["curator_fields"] if known else [],
            # A text dump carries no date: a new article has none, a known one keeps its own
            # (these three are not among the fields a text dump's re-import writes).
            "published": None,
            "curator_edited": None,
            "sort_date": self.now,
        }
        if restored is not None:
            values["curator_comments_split"] = restored.comments_split
            values["curator_fields"] = restored.curator_fields
            values["created"] = restored.created or (known["created"] if known else self.now)
            values["updated"] = restored.updated or (
                known["updated"] if known else values["created"]
            )
            values["published"] = restored.published
            values["curator_edited"] = restored.curator_edited
            values["sort_date"] = sort_date_for(restored.published, values["created"])
        return values

    def _insert_articles(self, items: list[PreparedPost]) -> list[int]:
        """Rows for the new articles, without the ORM; their ids."""
        table = Article._meta.db_table
        ids = allocate_ids(table, len(items))
        self.staging.hide(ids)
        adapt = connection.ops.adapt_datetimefield_value
        now = adapt(self.now)  # once: most rows are a dump's, all made now
        rows = []
        heads = {}  # of long articles (search/heads.py)
        for pk, item in zip(ids, items, strict=True):
            if (head := head_of(item.post.paragraphs)) is not None:
                heads[pk] = head
            values = self._article_values(item, None)
            for name in ("paragraphs", "links", "mentions", *CURATOR_DECISIONS):
                values[name] = _json(values[name], _chars(item.post))
            for name in ("created", "updated", "sort_date", "curator_edited"):
                values[name] = now if values[name] is self.now else adapt(values[name])
            values["published"] = connection.ops.adapt_datefield_value(values["published"])
            rows.append((pk, item.post.key, *(values[name] for name in RESTORED_ARTICLE_COLUMNS)))
            # Its text is now in the row: dropped from the post, so that a very long one is not
            # held twice while the database takes the row (nothing later reads it).
            item.post.paragraphs = []
        insert_rows(table, ARTICLE_COLUMNS, rows)
        insert_heads(heads)
        return ids

    def _hashtags_of(self, written: list[tuple[ParsedPost, int]]) -> dict:
        spellings = [t for post, _ in written for t in post.hashtags]
        spellings += [
            t for post, _ in written if post.restored for t in post.restored.removed_hashtags
        ]
        spellings += [
            t
            for post, _ in written
            for c in post.replies
            for t in c.hashtags
            if len(t) <= HASHTAG_MAX
        ]
        missing = [t for t in spellings if hashtag_key(t) not in self.hashtags]
        if missing:
            self.hashtags.update(get_or_create_hashtags(missing, aliases=self.aliases))
        for spelling in spellings:
            tag = self.hashtags[hashtag_key(spelling)]
            self.result.tags.add(tag.pk)
            if spelling != tag.name:  # only then can the most common spelling change
                self.renamed.add(tag.pk)
        return self.hashtags

    def _write_hashtag_uses(self, written, kept_ids: list[int], tags: dict) -> None:
        """The dump's hashtags replace the dump's; a curator's additions and removals stay. A
        JSON export restores both as exported."""
        restoring = bool(written) and written[0][0].restored is not None
        old_uses = TaggedArticle.objects.filter(content_object_id__in=kept_ids)
        removals = HashtagRemoval.objects.filter(article_id__in=kept_ids)
        if restoring:
            removals.delete()
            HashtagRemoval.objects.bulk_create(
                HashtagRemoval(article_id=article_id, tag_id=tags[hashtag_key(t)].pk)
                for post, article_id in written
                for t in dict.fromkeys(post.restored.removed_hashtags)
                if hashtag_key(t) in tags
            )
            keep: set[tuple[int, int]] = set()
        else:
            keep = set(
                old_uses.filter(origin=TaggedArticle.Origin.CURATOR).values_list(
                    "content_object_id", "tag_id"
                )
            )
            keep |= set(removals.values_list("article_id", "tag_id"))
            self.result.curated += len({article_id for article_id, _ in keep})
            old_uses = old_uses.filter(origin=TaggedArticle.Origin.DUMP)
        for tag_id in old_uses.values_list("tag_id", flat=True):
            self.usage_deltas[tag_id] -= 1
            self.renamed.add(tag_id)
            self.result.tags.add(tag_id)
        old_uses.delete()
        uses: dict[tuple[int, int], tuple] = {}
        for post, article_id in written:
            curator_keys = (
                {hashtag_key(t) for t in post.restored.curator_hashtags} if restoring else ()
            )
            for spelling in post.hashtags:
                key = hashtag_key(spelling)
                tag = tags[key]
                if (article_id, tag.pk) in keep or (article_id, tag.pk) in uses:
                    continue  # kept as the curator left it, or written twice (an alias)
                uses[article_id, tag.pk] = (
                    article_id,
                    tag.pk,
                    use_spelling(spelling, tag),
                    "curator" if key in curator_keys else "dump",
                )
        insert_rows(
            TaggedArticle._meta.db_table,
            ["content_object_id", "tag_id", "spelling", "origin"],
            list(uses.values()),
        )
        for _, tag_id in uses:
            self.usage_deltas[tag_id] += 1

    def _write_commentary(
        self, written: list[tuple[ParsedPost, int]], tags: dict, kept_ids: list[int]
    ) -> None:
        entries = [
            _Entry(
                article_id,
                c,
                c.key if c.restored is not None else f"{post.key}:{n}",
                c.restored.position if c.restored is not None else n,
            )
            for post, article_id in written
            for n, c in enumerate(post.replies, start=1)
        ]
        self._delete_stale_replies(written, kept_ids, {e.key for e in entries})
        if not entries:
            return
        self.result.replies += len(entries)
        by_key = {
            c.external_key: c
            for c in Commentary.all_objects.filter(
                external_key__in=[e.key for e in entries if e.key is not None]
            )
        }
        keyless = self._keyless_notes([e.article_id for e in entries if e.key is None])
        changed: list[_Entry] = []
        new: list[_Entry] = []
        for entry in entries:
            if entry.key is not None:
                entry.row = by_key.get(entry.key)
            else:  # a curator note is the same note: same article, text and creation date
                candidates = keyless.get((entry.article_id, entry.commentary.text), [])
                created = entry.commentary.restored.created
                entry.row = next((c for c in candidates if created in (None, c.created)), None)
                if entry.row is not None:
                    candidates.remove(entry.row)
            if entry.row is None:
                new.append(entry)
            elif entry.commentary.restored is not None or entry.row.text != entry.commentary.text:
                self._apply(entry)
                changed.append(entry)
        self._insert_commentary(new)
        text_replies = [e.row for e in changed if e.commentary.restored is None]
        restored = [e.row for e in changed if e.commentary.restored is not None]
        Commentary.objects.bulk_update(text_replies, REPLY_FIELDS)
        Commentary.objects.bulk_update(restored, COMMENTARY_COLUMNS)
        TaggedCommentary.objects.filter(content_object__in=[e.row.pk for e in changed]).delete()
        note_uses = {
            (e.row.pk, tags[hashtag_key(t)].pk): (
                e.row.pk,
                tags[hashtag_key(t)].pk,
                use_spelling(t, tags[hashtag_key(t)]),
            )
            for e in [*new, *changed]
            for t in e.commentary.hashtags
            if hashtag_key(t) in tags
        }
        insert_rows(
            TaggedCommentary._meta.db_table,
            ["content_object_id", "tag_id", "spelling"],
            list(note_uses.values()),
        )

    def _delete_stale_replies(self, written, kept_ids: list[int], keys: set) -> None:
        """A text dump's replies are the dump's: those it no longer has go (a reply removed from
        an edited dump, reader comments that start later). Curators' notes have no such key."""
        kept = set(kept_ids)
        articles = [a for post, a in written if post.restored is None and a in kept]
        if not articles:
            return
        stale = [
            pk
            for pk, key in Commentary.objects.filter(
                article_id__in=articles, origin=Commentary.Origin.REPLY, external_key__isnull=False
            ).values_list("pk", "external_key")
            if key not in keys
        ]
        if not stale:
            return
        for tag_id in set(
            TaggedCommentary.objects.filter(content_object__in=stale).values_list(
                "tag_id", flat=True
            )
        ):
            self.renamed.add(tag_id)  # a spelling only these replies used may have been its name
            self.result.tags.add(tag_id)
        Commentary.objects.filter(pk__in=stale).delete()

    def _keyless_notes(self, article_ids: list[int]) -> dict[tuple, list[Commentary]]:
        found: dict[tuple, list[Commentary]] = {}
        if article_ids:
            for c in Commentary.objects.filter(
                article_id__in=article_ids, external_key__isnull=True
            ).order_by("pk"):
                found.setdefault((c.article_id, c.text), []).append(c)
        return found

    def _values(self, entry: _Entry) -> dict:
        """Every column of a commentary row, as the dump or the export says."""
        c, restored = entry.commentary, entry.commentary.restored
        if restored is None:
            return {
                "article_id": entry.article_id,
                "text": c.text,
                "author_id": None,
                "author_name": "",
                "origin": Commentary.Origin.REPLY.value,
                "quote_exact": "",
                "quote_prefix": "",
                "quote_suffix": "",
                "quote_start": None,
                "quote_original": "",
                "quote_lost": False,
                "position": entry.position,
                "source_line": c.line,
                "created": entry.row.created if entry.row else self.now,
                "updated": self.now,
            }
        quote = restored.quote
        created = restored.created or (entry.row.created if entry.row else self.now)
        author_id = self._user_id(restored.author)
        author_name = restored.author_name
        if restored.author and author_id is None and not author_name:
            author_name = restored.author[:200]
        return {
            "article_id": entry.article_id,
            "text": c.text,
            "author_id": author_id,
            "author_name": author_name,
            "origin": restored.origin,
            "quote_exact": quote.exact if quote else "",
            "quote_prefix": quote.prefix if quote else "",
            "quote_suffix": quote.suffix if quote else "",
            "quote_start": quote.start if quote else None,
            "quote_original": quote.first_quoted if quote else "",
            "quote_lost": quote.lost if quote else False,
            "position": entry.position,
            "source_line": c.line,
            "created": created,
            "updated": restored.updated or (entry.row.updated if entry.row else created),
        }

    def _apply(self, entry: _Entry) -> None:
        for name, value in self._values(entry).items():
            setattr(entry.row, name, value)

    def _insert_commentary(self, entries: list[_Entry]) -> None:
        table = Commentary._meta.db_table
        ids = allocate_ids(table, len(entries))
        adapt = connection.ops.adapt_datetimefield_value
        rows = []
        for pk, entry in zip(ids, entries, strict=True):
            values = self._values(entry)
            values["created"], values["updated"] = (
                adapt(values["created"]),
                adapt(values["updated"]),
            )
            rows.append((pk, entry.key, *(values[name] for name in COMMENTARY_COLUMNS)))
            entry.row = Commentary(pk=pk)
        insert_rows(table, ["id", "external_key", *COMMENTARY_COLUMNS], rows)

    def _user_id(self, username: str | None) -> int | None:
        if not username:
            return None
        if username not in self.users:
            User = get_user_model()
            self.users[username] = (
                User.objects.filter(**{User.USERNAME_FIELD: username})
                .values_list("pk", flat=True)
                .first()
            )
        return self.users[username]
