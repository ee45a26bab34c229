from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext_lazy as _

from archive.models import Article, Hashtag
from archive.queries import articles_in_order, attach_tags, newest_ids_with_tag
from archive.search import search
from archive.search.query import MAX_QUERY_CHARS

FEED_SIZE = 30


class ArticleFeed(Feed):
    feed_type = Atom1Feed
    title = _("Newest articles")
    link = "/"
    subtitle = _("The newest articles of the archive")

    def items(self):
        return attach_tags(list(Article.objects.order_by("-created", "id")[:FEED_SIZE]))

    def item_title(self, item: Article) -> str:
        return item.title

    def item_description(self, item: Article) -> str:
        return item.first_lines  # the feed framework escapes it

    def item_link(self, item: Article) -> str:
        return item.get_absolute_url()

    def item_pubdate(self, item: Article):
        return item.created

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


class SearchFeed(ArticleFeed):
    def get_object(self, request) -> str:
        return request.GET.get("q", "")[:MAX_QUERY_CHARS]

    def title(self, obj: str) -> str:
        return _("Search: %(q)s") % {"q": obj}

    def link(self, obj: str) -> str:
        return "/search/?" + urlencode({"q": obj})

    def subtitle(self, obj: str) -> str:
        return self.title(obj)

    def items(self, obj: str):
        return [hit.article for hit in search(obj, page_size=FEED_SIZE).hits]
