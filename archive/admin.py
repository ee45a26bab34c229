from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import model_ngettext
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from annotations.reanchoring import follow_text
from archive.articles import delete_articles, mark_curator_edits
from archive.changes import record_change
from archive.hashtags import (
    article_hashtag_names,
    delete_hashtags,
    record_hashtags_edit,
    refresh_hashtags,
    rename,
)
from archive.models import Article, Hashtag, TaggedArticle

SAMPLE = 20


@admin.action(
    permissions=["delete"], description=gettext_lazy("Delete selected %(verbose_name_plural)s")
)
def delete_selected(modeladmin, request, queryset):
    """Delete many rows at once (all rows of a filter: thousands). Django's own action posts
    every id back from its confirmation page, which Django then refuses past
    DATA_UPLOAD_MAX_NUMBER_FIELDS (TooManyFieldsSent, HTTP 400); this one posts back the
    selection as the change list made it: the ticked rows of one page, and "all" with its
    filters (the query string of the page stays on the form's address)."""
    opts = modeladmin.model._meta
    select_across = request.POST.get("select_across") == "1"
    if request.POST.get("post") == "yes":
        count = modeladmin.delete_queryset(request, queryset)
        modeladmin.message_user(
            request,
            _("Deleted %(count)d %(name)s.") % {"count": count, "name": opts.verbose_name_plural},
            messages.SUCCESS,
        )
        return None
    count = queryset.count()
    return TemplateResponse(
        request,
        "admin/archive/delete_in_bulk.html",
        {
            **modeladmin.admin_site.each_context(request),
            "opts": opts,
            "count": count,
            "objects_name": model_ngettext(opts, count),
            "sample": queryset[:SAMPLE],
            "select_across": select_across,
            # The ticked rows of one page (the change list wants some even with "all").
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "title": _("Are you sure?"),
        },
    )


class BulkDeleteMixin:
    actions = [delete_selected]  # in place of Django's action of the same name


class TaggedArticleInline(admin.TabularInline):
    model = TaggedArticle
    extra = 0
    autocomplete_fields = ["tag"]
    fields = ["tag", "spelling"]


@admin.register(Article)
class ArticleAdmin(BulkDeleteMixin, admin.ModelAdmin):
    list_display = ["title", "site", "language", "published", "created"]
    list_filter = ["language", ("hashtags", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["title", "url"]
    readonly_fields = [
        "external_key",
        "content_hash",
        "source_file",
        "source_line",
        "created",
        "updated",
        "curator_edited",
        "curator_fields",
        "curator_comments_split",
    ]
    fieldsets = [
        (None, {"fields": list(Article.CURATOR_EDITABLE_FIELDS)}),
        ("Import provenance", {"fields": readonly_fields}),
    ]
    inlines = [TaggedArticleInline]
    date_hierarchy = "created"
    list_per_page = 50
    show_full_result_count = False  # no COUNT(*) over a million rows

    def save_model(self, request, obj, form, change):
        if change:  # a field a curator edits is theirs from now on: a re-import keeps it
            mark_curator_edits(obj)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        before = set(form.instance.hashtags.values_list("pk", flat=True)) if change else set()
        names = article_hashtag_names(form.instance.pk) if change else []
        super().save_related(request, form, formsets, change)
        after = set(form.instance.hashtags.values_list("pk", flat=True))
        refresh_hashtags(before | after)
        if change:
            record_hashtags_edit(form.instance, names, request.user)
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
        return delete_articles(queryset.values_list("pk", flat=True))


@admin.register(Hashtag)
class HashtagAdmin(BulkDeleteMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "usage_count"]
    search_fields = ["name", "key", "search_key"]
    readonly_fields = ["key", "search_key", "usage_count"]
    ordering = ["-usage_count"]
    show_full_result_count = False

    def save_model(self, request, obj, form, change):
        if change and "name" in form.changed_data:
            # Renaming to an existing name merges; slugs, counts and the search index follow.
            rename(Hashtag.objects.get(pk=obj.pk), obj.name, by=request.user)
        else:
            super().save_model(request, obj, form, change)
            record_change()

    def delete_model(self, request, obj):
        delete_hashtags([obj.pk])

    def delete_queryset(self, request, queryset):
        return delete_hashtags(queryset.values_list("pk", flat=True))
