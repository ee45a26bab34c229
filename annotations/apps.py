from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AnnotationsConfig(AppConfig):
    name = "annotations"
    verbose_name = "Commentary"

    def ready(self):
        # Imported here, not at the top: permissions.py uses the auth models, which Django's
        # app registry loads only after every AppConfig is created.
        from annotations.permissions import ensure_curators_group

        # After migrate, once Django has created the permissions the group needs.
        post_migrate.connect(ensure_curators_group, sender=self, dispatch_uid="curators_group")
