"""Atom feeds: the newest articles, a hashtag's, a search's.

Every text goes out as text (Atom's type="text"), never as HTML a feed reader would run, and
without the characters XML 1.0 cannot carry (a dump's title may hold ESC or VT: Django's XML
writer would refuse the whole feed). See docs/security.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from archive.models import Article, Hashtag
from archive.queries import articles_in_order, attach_tags, newest_ids_with_tag
from archive.search.query import MAX_QUERY_CHARS
from archive.search.service import SORTS, search

FEED_SIZE = 30

# Everything but XML 1.0's Char: C0 controls other than tab, LF and CR; lone surrogates; U+FFFE
# and U+FFFF.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value):
    """The text without the characters XML 1.0 cannot carry (None stays None)."""
    if value is None:
        return None
    return NOT_XML.sub("", str(value))


class TextAtomFeed(Atom1Feed):
    """Atom with every text passed through xml_text() and the summary sent as plain text."""

    def __init__(self, title, link, description, **kwargs):
        for name in ("subtitle", "author_name", "feed_copyright"):
            kwargs[name] = xml_text(kwargs.get(name))
        kwargs["categories"] = [xml_text(c) for c in kwargs.get("categories") or ()]
        super().__init__(xml_text(title), link, xml_text(description), **kwargs)

    def add_item(self, title, link, description, **kwargs):
        for name in ("author_name", "item_copyright"):
            kwargs[name] = xml_text(kwargs.get(name))
        kwargs["categories"] = [xml_text(c) for c in kwargs.get("categories") or ()]
        super().add_item(xml_text(title), link, xml_text(description), **kwargs)

    def add_item_elements(self, handler, item):
        # Atom1Feed writes the summary as type="html": a reader would run the dump's markup.
        super().add_item_elements(handler, {**item, "description": None})
        if item["description"] is not None:
            handler.addQuickElement("summary", item["description"], {"type": "text"})


class ArticleFeed(Feed):
    feed_type = TextAtomFeed
    title = _("Newest articles")
    link = "/"
    subtitle = _("The newest articles of the archive")

    def items(self):
        return attach_tags(list(Article.objects.order_by("-sort_date", "id")[:FEED_SIZE]))

    def item_title(self, item: Article) -> str:
        return item.title

    def item_description(self, item: Article) -> str:
        return item.first_lines  # plain text: TextAtomFeed says so

    def item_link(self, item: Article) -> str:
        return item.get_absolute_url()

    def item_pubdate(self, item: Article):
        # Its publication date when known (the start of that day), else when it was imported.
        return item.sort_date or item.created

    def item_updateddate(self, item: Article):
        return item.updated

    def item_categories(self, item: Article):
        return [t.name for t in item.tag_list]


class TagFeed(ArticleFeed):
    def get_object(self, request, slug: str) -> Hashtag:
        return get_object_or_404(Hashtag, slug=slug)

    def title(self, obj: Hashtag) -> str:
        return f"#{obj.name}"

    def link(self, obj: Hashtag) -> str:
        return obj.get_absolute_url()

    def subtitle(self, obj: Hashtag) -> str:
        return _("Articles with #%(tag)s") % {"tag": obj.name}

    def items(self, obj: Hashtag):
        return attach_tags(articles_in_order(list(newest_ids_with_tag(obj)[:FEED_SIZE])))


@dataclass(frozen=True)
class FeedSearch:
    q: str
    sort: str  # service.SORTS

    def params(self) -> str:
        values = {"q": self.q}
        if self.sort != "relevance":
            values["sort"] = self.sort
        return urlencode(values)


class SearchFeed(ArticleFeed):
    def get_object(self, request) -> FeedSearch:
        sort = request.GET.get("sort", "relevance")
        return FeedSearch(
            request.GET.get("q", "")[:MAX_QUERY_CHARS], sort if sort in SORTS else "relevance"
        )

    def title(self, obj: FeedSearch) -> str:
        return _("Search: %(q)s") % {"q": obj.q}

    def link(self, obj: FeedSearch) -> str:
        return f"/search/?{obj.params()}"

    def feed_url(self, obj: FeedSearch) -> str:
        # The feed's rel="self" link: Django's default is the path alone, without the query.
        return f"/search/feed/?{obj.params()}"

    def subtitle(self, obj: FeedSearch) -> str:
        return self.title(obj)

    def items(self, obj: FeedSearch):
        return [hit.article for hit in search(obj.q, page_size=FEED_SIZE, sort=obj.sort).hits]
