"""Login with a limit on guessing: after too many failures, an address waits."""

from __future__ import annotations

from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60


def _client_key(request) -> str:
    return "login-failures:" + request.META.get("REMOTE_ADDR", "?")


class RateLimitedAuthenticationForm(AuthenticationForm):
    def clean(self):
        key = _client_key(self.request)
        if cache.get(key, 0) >= MAX_FAILURES:
            raise ValidationError(
                _("Too many failed logins from your address. Try again in 15 minutes."),
                code="rate_limited",
            )
        try:
            return super().clean()
        except ValidationError:
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, WINDOW_SECONDS)
            raise


class ArchiveLoginView(LoginView):
    form_class = RateLimitedAuthenticationForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True
