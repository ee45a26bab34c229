from django.contrib import admin
from django.contrib.auth.views import LogoutView
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from annotations import api as write_api
from annotations import article_views, history_views
from annotations import views as curator
from annotations.login import AdminLoginForm, ArchiveLoginView
from archive import api, import_views, views
from archive.feeds import ArticleFeed, SearchFeed, TagFeed
from archive.pagecache import page_cache
from archive.sitemaps import ArticleSitemap, HashtagSitemap

# The admin's login says, in the visitor's language, when too many failures lock a name out.
admin.site.login_form = AdminLoginForm

urlpatterns = [
    path("", views.home, name="home"),
    path("articles/new/", article_views.article_add, name="article_add"),
    path("articles/<int:pk>/", views.article_detail, name="article_detail"),
    path("articles/<int:pk>/edit/", article_views.article_edit, name="article_edit"),
    path("articles/<int:pk>/notes/new/", curator.note_create, name="note_create"),
    path("articles/<int:pk>/hashtags/", curator.article_hashtags, name="article_hashtags"),
    path(
        "articles/<int:pk>/comments/start/<int:index>/",
        curator.comments_start,
        name="comments_start",
    ),
    path("articles/<int:pk>/comments/unsplit/", curator.comments_unsplit, name="comments_unsplit"),
    path("articles/<int:pk>/<str:slug>/", views.article_detail, name="article_detail_slug"),
    path("notes/<int:pk>/edit/", curator.note_edit, name="note_edit"),
    path("notes/<int:pk>/delete/", curator.note_delete, name="note_delete"),
    path("notes/<int:pk>/join/", curator.comment_join, name="comment_join"),
    path("tags/", views.tag_list, name="tag_list"),
    path("tags/<str:slug>/", views.tag_detail, name="tag_detail"),
    path("tags/<str:slug>/feed/", page_cache(TagFeed()), name="tag_feed"),
    path("tags/<str:slug>/rename/", curator.hashtag_rename, name="hashtag_rename"),
    path("changes/", history_views.recent_changes, name="recent_changes"),
    path("changes/<int:pk>/undo/", history_views.undo_change, name="undo_change"),
    path("imports/", import_views.history, name="import_history"),
    path("imports/new/", import_views.upload, name="import_upload"),
    path("imports/<int:pk>/", import_views.run_detail, name="import_run"),
    path("imports/<int:pk>/status/", import_views.run_status, name="import_status"),
    path("imports/files/<int:pk>/", import_views.file_articles, name="imported_file"),
    path("search/", views.search_view, name="search"),
    path("search/feed/", SearchFeed(), name="search_feed"),
    path("feed/", page_cache(ArticleFeed()), name="feed"),
    path(
        "sitemap.xml",
        page_cache(sitemap),
        {"sitemaps": {"articles": ArticleSitemap, "tags": HashtagSitemap}},
        name="django.contrib.sitemaps.views.sitemap",
    ),
    path("api/articles/", api.articles, name="api_articles"),
    path("api/articles/<int:pk>/", api.article, name="api_article"),
    path(
        "api/articles/<int:pk>/commentary/",
        write_api.commentary_create,
        name="api_commentary_create",
    ),
    path("api/commentary/<int:pk>/", write_api.commentary_detail, name="api_commentary"),
    path("api/tags/", api.tags, name="api_tags"),
    path("api/search/", api.search_api, name="api_search"),
    path("accounts/login/", ArchiveLoginView.as_view(), name="login"),
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

handler404 = "archive.api_errors.page_not_found"
handler500 = "archive.outage.server_error"
