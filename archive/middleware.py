from django.conf import settings


class ContentSecurityPolicyMiddleware:
    """Sends the Content-Security-Policy from settings: no inline scripts anywhere."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response
