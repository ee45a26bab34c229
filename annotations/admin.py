from django.contrib import admin

from annotations.models import ApiToken, Commentary
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
        save_commentary(obj)

    def delete_model(self, request, obj):
        delete_commentary(obj)

    def delete_queryset(self, request, queryset):
        for item in queryset:
            delete_commentary(item)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "key", "created", "last_used"]
    readonly_fields = ["key", "created", "last_used"]
    raw_id_fields = ["user"]
