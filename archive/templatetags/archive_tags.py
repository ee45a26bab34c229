import html
from datetime import date, datetime
from functools import lru_cache

from django import template
from django.template.defaultfilters import linebreaksbr, truncatechars
from django.template.defaulttags import CsrfTokenNode
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.translation import get_language, gettext

from archive.pagination import page_url as build_page_url
from archive.text import is_web_url

register = template.Library()


@register.simple_tag(takes_context=True)
def page_url(context, number: int) -> str:
    return build_page_url(context["request"], number)


@register.filter
def web_url(value) -> bool:
    """{% if address|web_url %}: only http(s) addresses become links."""
    return is_web_url(value)


@register.simple_tag
def hashtag_items(tags: list, limit: int) -> SafeString:
    """The first `limit` hashtags as <li> links, then "+N" for the others.

    Built here rather than by a {% for %} in the article card: the loop cost ~15 µs a hashtag,
    a tenth of a list page's rendering.
    """
    html = format_html_join(
        "",
        '<li><a class="hashtag" href="{}">#{}</a></li>',
        ((tag.get_absolute_url(), tag.name) for tag in tags[:limit]),
    )
    if len(tags) > limit:
        html += format_html('<li class="count">+{}</li>', len(tags) - limit)
    return html


# Format characters whose text depends only on a date, its hour and its minute (Django's date
# format): a date shown with these alone is the same for every moment of that minute.
_MINUTE_CHARACTERS = frozenset("dDjlNbMmnFYyHGhgiAa")


def _formatted(value: date | datetime, fmt: str) -> str:
    """date_format(value, fmt), remembered by language, format and the fields the format shows:
    an article's 400 notes, written over a few days, were formatted one by one, 40-80 µs
    each (a sixth of the page)."""
    if not _by_minute(fmt):
        return date_format(value, fmt)
    if isinstance(value, datetime):
        fields = (value.year, value.month, value.day, value.hour, value.minute)
    else:
        fields = (value.year, value.month, value.day)
    return _formatted_fields(get_language(), fmt, fields)


@lru_cache(maxsize=64)
def _by_minute(fmt: str) -> bool:
    return "\\" not in fmt and all(c in _MINUTE_CHARACTERS for c in fmt if c.isalpha())


@lru_cache(maxsize=4096)
def _formatted_fields(language: str, fmt: str, fields: tuple[int, ...]) -> str:
    # `language` is the active one, in the key only: date_format reads it itself.
    return date_format(datetime(*fields) if len(fields) == 5 else date(*fields), fmt)


def _time(value, shown: str) -> SafeString:
    return format_html('<time datetime="{}">{}</time>', value.isoformat(), shown)


def _day(value, *, moment: bool = True) -> SafeString:
    """A date, or a moment's day in the visitor's time zone, in the language's short form; the
    element's datetime is the moment (to machines), or its day alone when `moment` is False."""
    if hasattr(value, "tzinfo"):
        value = timezone.localtime(value)
        if not moment:
            value = value.date()
    # Translators: a date in this language's usual short form, in Django's date format (j day,
    # N or b month, Y year; docs.djangoproject.com/en/stable/ref/templates/builtins/#date).
    return _time(value, _formatted(value, gettext("j N Y")))


def _labelled(label: str, day: SafeString) -> SafeString:
    return mark_safe(conditional_escape(label) % {"date": day})


@register.simple_tag
def article_date(article) -> SafeString:
    """An article's date as readers see it: when its source published it; when that is not
    known, the day it entered the archive, said as such ("imported on", "added on")."""
    if article.published:
        return _day(article.published)
    if article.added_by_curators:
        return _labelled(gettext("added on %(date)s"), _day(article.created))
    return _labelled(gettext("imported on %(date)s"), _day(article.created))


@register.simple_tag
def commentary_date(item) -> SafeString:
    """A curator note's date and time; an imported reply's own date is not known (dumps do not
    carry it): the day it was imported, with no time of day."""
    if item.origin == "reply":
        return _labelled(gettext("imported on %(date)s"), _day(item.created, moment=False))
    moment = timezone.localtime(item.created)
    # Translators: a date and time, in Django's date format (as "j N Y" for dates; H:i is the
    # 24-hour time).
    return _time(moment, _formatted(moment, gettext("j N Y, H:i")))


# What a quote shows of its passage, in characters.
QUOTE_SHOWN = 200


def _esc(value) -> str:
    """conditional_escape() without its lazy-string wrapper: what a template does with
    {{ value }}."""
    return value if isinstance(value, SafeData) else html.escape(str(value))


@register.simple_tag(takes_context=True)
def commentary_item(context, item) -> SafeString:
    """One imported reply or curator note, as archive/views.py article_detail prepared it.

    Built here rather than by an included template, and by f-strings whose every value goes
    through _esc: an article's notes are rendered one by one, and the template took ~0.3 ms a
    note (an article with 400 notes: two thirds of its page), format_html ~0.1 ms."""
    curator = context.get("curator")
    if item.author_display:
        who = item.author_display
    elif item.reader_comment:
        who = gettext("Reader comment")
    elif item.origin == "reply":
        who = gettext("Reply (imported)")
    else:
        who = gettext("Curator")
    pk = _esc(item.pk)
    passage = f' data-passage="{pk}"' if item.located and not item.passage_link else ""
    # (gettext outside the f-strings: makemessages does not read inside them.)
    kind = " · " + _esc(gettext("curator note")) if item.origin == "note" else ""
    parts = [
        f'<article class="note {_esc(item.origin)}" id="note-{pk}"{passage}>',
        f'<p class="meta"><strong>{_esc(who)}</strong> · {commentary_date(item)}{kind}</p>',
    ]
    if item.quote_exact:
        quote = _esc(truncatechars(item.quote_exact, QUOTE_SHOWN))
        if item.located:
            parts.append(
                f'<blockquote><a href="{_esc(item.passage_link)}#passage-{pk}">« {quote} »</a>'
                "</blockquote>"
            )
        else:
            badge = _esc(gettext("passage not found"))
            parts.append(
                f'<blockquote class="lost"><span class="badge">{badge}</span> '
                f"« {quote} »</blockquote>"
            )
        if curator and item.quote_original and item.quote_original != item.quote_exact:
            label = _esc(gettext("Passage as first quoted:"))
            first = _esc(truncatechars(item.quote_original, QUOTE_SHOWN))
            parts.append(f'<p class="first-quoted">{label} « {first} »</p>')
    parts.append(f'<div class="note-text">{linebreaksbr(item.html, True)}</div>')
    if curator and item.joinable:
        join = _esc(reverse("comment_join", args=[item.pk]))
        label = _esc(gettext("Join to the comment above"))
        parts.append(
            f'<form method="post" action="{join}" class="actions">{CsrfTokenNode().render(context)}'
            f'<button type="submit" class="link">{label}</button></form>'
        )
    if item.can_edit:
        edit, edit_label = _esc(reverse("note_edit", args=[item.pk])), _esc(gettext("Edit"))
        delete = _esc(reverse("note_delete", args=[item.pk]))
        delete_label = _esc(gettext("Delete"))
        parts.append(
            f'<p class="actions"><a href="{edit}">{edit_label}</a> · '
            f'<a href="{delete}">{delete_label}</a></p>'
        )
    parts.append("</article>")
    return mark_safe("\n".join(parts))
