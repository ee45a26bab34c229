from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from annotations.models import ApiToken, Commentary, FailedTokenAttempts
from annotations.notes import delete_commentary, save_commentary


@admin.register(Commentary)
class CommentaryAdmin(admin.ModelAdmin):
    list_display = ["short_text", "article", "origin", "author_display", "is_anchored", "created"]
    list_filter = ["origin", "quote_lost", ("hashtags", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["text", "quote_exact", "author_name", "article__title"]
    raw_id_fields = ["article", "author"]
    readonly_fields = [
        "quote_original",
        "external_key",
        "source_line",
        "position",
        "created",
        "updated",
    ]
    list_select_related = ["article", "author"]
    show_full_result_count = False

    @admin.display(description="text")
    def short_text(self, obj):
        return obj.text[:80]

    @admin.display(boolean=True, description="anchored")
    def is_anchored(self, obj):
        return obj.is_anchored

    def save_model(self, request, obj, form, change):
        save_commentary(obj, by=request.user)

    def delete_model(self, request, obj):
        delete_commentary(obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for item in queryset:
            delete_commentary(item, by=request.user)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are added here; the key is shown once, on the page that follows, and never again
    (only its digest is stored)."""

    list_display = ["user", "name", "prefix", "created", "last_used"]
    fields = ["user", "name", "prefix", "created", "last_used"]
    readonly_fields = ["prefix", "created", "last_used"]
    raw_id_fields = ["user"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.issued_key = obj.new_key()
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "token": obj,
            "key": obj.issued_key,
            "title": _("Your new API token"),
        }
        response = TemplateResponse(request, "admin/annotations/apitoken/issued.html", context)
        add_never_cache_headers(response)  # the key must not stay in any cache
        return response


@admin.register(FailedTokenAttempts)
class FailedTokenAttemptsAdmin(admin.ModelAdmin):
    """Who sent wrong API tokens lately; deleting a row lifts that address's wait."""

    list_display = ["client", "count", "since"]
    readonly_fields = ["client", "count", "since"]

    def has_add_permission(self, request):
        return False
