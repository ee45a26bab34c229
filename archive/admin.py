from django.contrib import admin
from django.utils.translation import gettext as _

from annotations.reanchoring import follow_text
from archive.articles import delete_articles
from archive.changes import record_change
from archive.hashtags import delete_hashtags, refresh_hashtags, rename
from archive.models import Article, Hashtag, TaggedArticle


class TaggedArticleInline(admin.TabularInline):
    model = TaggedArticle
    extra = 0
    autocomplete_fields = ["tag"]
    fields = ["tag", "spelling"]


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "site", "language", "created"]
    list_filter = ["language", ("hashtags", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["title", "url"]
    readonly_fields = [
        "external_key",
        "content_hash",
        "source_file",
        "source_line",
        "created",
        "updated",
    ]
    fieldsets = [
        (None, {"fields": ["title", "url", "language", "paragraphs", "links", "mentions"]}),
        ("Import provenance", {"fields": readonly_fields}),
    ]
    inlines = [TaggedArticleInline]
    date_hierarchy = "created"
    list_per_page = 50
    show_full_result_count = False  # no COUNT(*) over a million rows

    def save_related(self, request, form, formsets, change):
        before = set(form.instance.hashtags.values_list("pk", flat=True)) if change else set()
        super().save_related(request, form, formsets, change)
        after = set(form.instance.hashtags.values_list("pk", flat=True))
        refresh_hashtags(before | after)
        if change and "paragraphs" in form.changed_data:  # notes' anchors follow the text
            for moved in follow_text({form.instance.pk: form.instance.text}):
                if moved.lost:
                    message = _("Note %(id)s: its passage is no longer in the text.")
                else:
                    message = _("Note %(id)s: re-anchored to its passage as it now reads.")
                self.message_user(request, message % {"id": moved.commentary_id})
        record_change([form.instance.pk])

    def delete_model(self, request, obj):
        delete_articles([obj.pk])

    def delete_queryset(self, request, queryset):
        delete_articles(queryset.values_list("pk", flat=True))


@admin.register(Hashtag)
class HashtagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "usage_count"]
    search_fields = ["name", "key", "search_key"]
    readonly_fields = ["key", "search_key", "usage_count"]
    ordering = ["-usage_count"]
    show_full_result_count = False

    def save_model(self, request, obj, form, change):
        if change and "name" in form.changed_data:
            # Renaming to an existing name merges; slugs, counts and the search index follow.
            rename(Hashtag.objects.get(pk=obj.pk), obj.name)
        else:
            super().save_model(request, obj, form, change)
            record_change()

    def delete_model(self, request, obj):
        delete_hashtags([obj.pk])

    def delete_queryset(self, request, queryset):
        delete_hashtags(queryset.values_list("pk", flat=True))
