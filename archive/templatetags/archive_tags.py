from django import template

from archive.pagination import page_url as build_page_url

register = template.Library()


@register.simple_tag(takes_context=True)
def page_url(context, number: int) -> str:
    return build_page_url(context["request"], number)
