import os
import sys

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

from archive.env import env_bool

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "archive.settings")
application = get_wsgi_application()


def _refuse_debug_in_production() -> None:
    """gunicorn and other WSGI servers are production: never serve debug pages there by accident.

    Django's own development server (manage.py runserver) loads this module too, and may.
    """
    development_server = sys.argv[1:2] == ["runserver"]
    if settings.DEBUG and not development_server and not env_bool("ALLOW_DEBUG_SERVER", False):
        raise ImproperlyConfigured(
            "DEBUG is on: set DEBUG=0 and SECRET_KEY to serve the archive "
            "(or ALLOW_DEBUG_SERVER=1 for a development server)."
        )


_refuse_debug_in_production()
