from __future__ import annotations

from django.http import JsonResponse
from django.utils import timezone

from annotations.models import ApiToken


class TokenAuthenticationMiddleware:
    """`Authorization: Token <key>` authenticates API requests.

    A token request carries no cookie a browser could replay, so CSRF does not apply to it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        header = request.headers.get("Authorization", "")
        if header.startswith("Token "):
            key = header.removeprefix("Token ").strip()
            token = ApiToken.objects.select_related("user").filter(key=key).first() if key else None
            if token is None or not token.user.is_active:
                return JsonResponse(
                    {"detail": "Invalid token."}, status=401, headers={"WWW-Authenticate": "Token"}
                )
            request.user = token.user
            request._dont_enforce_csrf_checks = True
            if token.last_used is None or (timezone.now() - token.last_used).total_seconds() > 300:
                type(token).objects.filter(pk=token.pk).update(last_used=timezone.now())
        return self.get_response(request)
