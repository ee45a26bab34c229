"""Dates as readers see them, in French, English, German and Italian, for every month of the year.

The clock is frozen at the 15th of each month while a dump is imported (an article's date is the
day it entered the archive), so these tests mean the same on any day they run. French month
abbreviations hold letters outside ASCII ("fév.", "août", "déc."): a pattern such as \\w+ in a
browser's regex would miss them, so the expected text is spelled out. German puts a dot after the
day ("15. Sept. 2026"); Italian writes the month's short name in lower case, without a dot
("15 set 2026").
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from archive.models import Article
from tests.base import DEMO_DUMPS, run_import

PARIS = ZoneInfo("Europe/Paris")
LANGUAGES = {
    "fr": "fr-FR,fr;q=0.9",
    "en": "en-GB,en;q=0.9",
    "de": "de-DE,de;q=0.9",
    "it": "it-IT,it;q=0.9",
}
MONTHS = {  # in the order of LANGUAGES
    1: ("jan.", "Jan.", "Jan.", "gen"),
    2: ("fév.", "Feb.", "Feb.", "feb"),
    3: ("mars", "March", "März", "mar"),
    4: ("avr.", "April", "April", "apr"),
    5: ("mai", "May", "Mai", "mag"),
    6: ("juin", "June", "Juni", "giu"),
    7: ("juil.", "July", "Juli", "lug"),
    8: ("août", "Aug.", "Aug.", "ago"),
    9: ("sept.", "Sept.", "Sept.", "set"),
    10: ("oct.", "Oct.", "Okt.", "ott"),
    11: ("nov.", "Nov.", "Nov.", "nov"),
    12: ("déc.", "Dec.", "Dez.", "dic"),
}
DAY = {"de": "{day}. {month} {year}"}  # the others: "{day} {month} {year}"


@pytest.mark.django_db
@pytest.mark.parametrize("month", sorted(MONTHS))
def test_card_and_article_dates_in_every_language(month):
    moment = datetime(2026, month, 15, 12, 0, tzinfo=PARIS)
    with time_machine.travel(moment, tick=False):
        run_import(DEMO_DUMPS / "demo_seenthis_export.txt")
        article = Article.objects.order_by("pk").first()
        assert article.created == moment
        for column, (language, accept) in enumerate(LANGUAGES.items()):
            day = DAY.get(language, "{day} {month} {year}")
            expected = day.format(day=15, month=MONTHS[month][column], year=2026)
            client = Client(HTTP_ACCEPT_LANGUAGE=accept)
            home = client.get("/").content.decode()
            shown = re.findall(r"<time[^>]*>[^<]*</time>", home)[:3]
            assert f">{expected}</time>" in home, (language, expected, shown)
            detail = client.get(article.get_absolute_url()).content.decode()
            assert f">{expected}</time>" in detail, (language, expected)


@pytest.mark.django_db
def test_a_date_shown_is_the_archive_time_zone_day():
    """Late on the 31st in UTC is already the 1st of the next month in Paris."""
    with time_machine.travel(datetime(2026, 12, 31, 23, 30, tzinfo=ZoneInfo("UTC")), tick=False):
        run_import(DEMO_DUMPS / "demo_seenthis_export.txt")
        home = Client(HTTP_ACCEPT_LANGUAGE=LANGUAGES["fr"]).get("/").content.decode()
    assert ">1 jan. 2027</time>" in home
    assert ">31 déc. 2026</time>" not in home


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_remembered_dates_read_as_django_formats_them(language):
    """Dates are formatted once per language, format and minute (archive_tags._formatted):
    every moment of a minute, in any time zone, reads as date_format writes it, and a format
    that shows seconds is never remembered by the minute."""
    from django.utils import translation
    from django.utils.formats import date_format

    from archive.templatetags.archive_tags import _formatted

    moments = [
        datetime(2026, month, day, hour, 59, second, tzinfo=zone)
        for month, day in ((2, 28), (8, 1), (12, 31))
        for hour in (0, 13)
        for second in (0, 59)
        for zone in (PARIS, ZoneInfo("America/Los_Angeles"))
    ]
    with translation.override(language):
        for fmt in ("j N Y, H:i", "j. N Y", "j b Y, H:i", "D j F Y, g:i A", "H:i:s", "c"):
            for moment in moments:
                assert _formatted(moment, fmt) == date_format(moment, fmt), (fmt, moment)
            assert _formatted(moments[0].date(), "j N Y") == date_format(moments[0].date(), "j N Y")
        assert _formatted(moments[0], "H:i:s") != _formatted(moments[2], "H:i:s")
