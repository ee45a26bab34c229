"""Logins, the site's and the admin's, with a limit on guessing that every server process shares.

django-axes (settings `AXES_*`) counts failed logins in the database per user name and client
address. After AXES_FAILURE_LIMIT failures, its backend refuses that name from that address,
the right password included, until AXES_COOLOFF_TIME has passed since the last try. The forms
here say so in the visitor's language, and `lockout_response` (AXES_LOCKOUT_CALLABLE) sends that
same login page as 429 with Retry-After.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import ngettext


def lockout_message() -> str:
    minutes = round(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    return ngettext(
        "Too many failed logins with this user name from your address. Try again in "
        "%(minutes)d minute.",
        "Too many failed logins with this user name from your address. Try again in "
        "%(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


class LockoutExplained:
    """A login form that says "wait" rather than "wrong password" once axes has locked out."""

    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            if getattr(self.request, "axes_locked_out", False):
                raise ValidationError(lockout_message(), code="locked_out") from None
            raise


class ArchiveAuthenticationForm(LockoutExplained, AuthenticationForm):
    pass


class AdminLoginForm(LockoutExplained, AdminAuthenticationForm):
    pass


class ArchiveLoginView(LoginView):
    form_class = ArchiveAuthenticationForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        # A login's writes (its new session, axes' log and reset, last_login) in one
        # transaction, after the password was checked (form.clean). On SQLite during an import,
        # each write transaction waits its turn for the write lock (importer/pacing.py): in
        # four, a login waited over a second. The session's data is saved after the view, in a
        # second one.
        with transaction.atomic():
            return super().form_valid(form)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """The login page as rendered (it holds the lockout message), as 429 with Retry-After.

    Each try while locked out starts the wait again (axes' default), so the wait is whole.
    """
    if original_response is None:
        response = HttpResponse(lockout_message(), content_type="text/plain; charset=utf-8")
    else:
        response = original_response
    response.status_code = 429
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response
