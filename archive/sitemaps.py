from django.contrib.sitemaps import Sitemap

from archive.models import Article, Hashtag


class ArticleSitemap(Sitemap):
    limit = 5000

    def items(self):
        return Article.objects.order_by("id").only("id", "title", "updated")

    def lastmod(self, item):
        return item.updated


class HashtagSitemap(Sitemap):
    limit = 5000

    def items(self):
        return Hashtag.objects.filter(usage_count__gt=0).order_by("id")
