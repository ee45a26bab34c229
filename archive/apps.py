from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = "Archive"

    def ready(self):
        from archive.pagecache import bump_on_change

        # The write paths bump the revision themselves; these catch saves and deletes made
        # elsewhere (the admin, a shell), so cached pages do not show a deleted article.
        for model in ("archive.Article", "archive.Hashtag", "annotations.Commentary"):
            for name, signal in (("save", post_save), ("delete", post_delete)):
                signal.connect(
                    bump_on_change, sender=model, dispatch_uid=f"pagecache-{name}-{model}"
                )
