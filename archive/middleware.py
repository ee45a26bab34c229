"""Middleware: what every request and response goes through.

`RequestInputMiddleware` checks what a visitor sends once, at the edge, before any view reads it
(docs/security.md): characters no page, feed or database can take end in a clear 400 here rather
than in a server error deep inside (PostgreSQL refuses NUL in text, XML refuses most C0 control
characters, neither database stores a lone surrogate).
"""

from __future__ import annotations

import json
import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

# C0 control characters and DEL. A path may hold none of them; a query or form value may hold
# tab, line feed and carriage return (a pasted quote, a textarea), which every layer below
# (search, XML, both databases) takes as ordinary white space.
PATH_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f]")
VALUE_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
# A note is a flat object ({"text", "quote"}); anything nested deeper than this is not ours.
MAX_JSON_DEPTH = 32
FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
BODY_METHODS = {"POST", "PUT", "PATCH"}


class RequestInputMiddleware:
    """Answers 400 (JSON under /api/, plain text elsewhere) when the path, the Authorization
    header, a query string key or value, a form field or a string in a JSON body holds a
    character we refuse; drops cookies that hold control characters."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = input_problem(request)
        if problem:
            return refusal(request, problem)
        cookies = request.COOKIES
        if any(PATH_FORBIDDEN.search(k) or PATH_FORBIDDEN.search(v) for k, v in cookies.items()):
            # `sessionid="\000…"` unquotes to a NUL (PostgreSQL refuses it in the session
            # lookup); such a cookie is no cookie of ours: it is ignored, not refused (a visitor
            # may not know how to clear it).
            request.COOKIES = {
                k: v
                for k, v in cookies.items()
                if not (PATH_FORBIDDEN.search(k) or PATH_FORBIDDEN.search(v))
            }
        return self.get_response(request)


def input_problem(request: HttpRequest) -> str:
    """What is wrong with the request's input, or ""."""
    if PATH_FORBIDDEN.search(request.path_info):
        return "The address contains a control character."
    if PATH_FORBIDDEN.search(request.headers.get("Authorization", "")):
        return "The Authorization header contains a control character."
    if _bad_fields(request.GET):
        return "The query string contains a control character."
    if request.method not in BODY_METHODS:
        return ""
    if request.content_type in FORM_TYPES:
        if _bad_fields(request.POST):
            return "The form contains a NUL or another control character."
        return ""
    if request.path_info.startswith("/api/") or request.content_type == "application/json":
        return _json_problem(request.body)
    return ""


def _bad_fields(fields) -> bool:
    # Values are decoded with errors="replace": no lone surrogate can come from a query or form.
    return any(
        VALUE_FORBIDDEN.search(key) or any(VALUE_FORBIDDEN.search(v) for v in values)
        for key, values in fields.lists()
    )


def _json_problem(body: bytes) -> str:
    """NUL, control characters and lone surrogates in any string (keys too), and nesting deeper
    than MAX_JSON_DEPTH. A body that is not JSON is left to the view, which says so."""
    try:
        data = json.loads(body)
    except RecursionError:  # the parser's own limit: far past ours
        return f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep."
    except ValueError:  # not JSON, not UTF-8: the view answers that
        return ""
    stack = [(data, 1)]
    while stack:  # not recursive: a body nested as deep as the parser allows must not crash us
        value, depth = stack.pop()
        if isinstance(value, str):
            if VALUE_FORBIDDEN.search(value) or LONE_SURROGATE.search(value):
                return "A NUL, a control character or a lone surrogate is not allowed in text."
        elif isinstance(value, dict | list):
            if depth > MAX_JSON_DEPTH:
                return f"The JSON is nested more than {MAX_JSON_DEPTH} levels deep."
            items = value.items() if isinstance(value, dict) else ((None, v) for v in value)
            for key, item in items:
                stack.append((item, depth + 1))
                if key is not None:
                    stack.append((key, depth + 1))
    return ""


def refusal(request: HttpRequest, message: str) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": message}, status=400)
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


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
