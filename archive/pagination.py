from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import Http404


@dataclass
class Page:
    items: list
    number: int
    per_page: int
    count: int

    @property
    def has_next(self) -> bool:
        return self.number * self.per_page < self.count

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.per_page))

    @property
    def next_number(self) -> int:
        return self.number + 1

    @property
    def previous_number(self) -> int:
        return self.number - 1


def page_number(request, name: str = "page") -> int:
    raw = request.GET.get(name, "1")
    try:
        number = int(raw)
    except ValueError:
        raise Http404("No such page") from None
    if number < 1 or number > 100_000:
        raise Http404("No such page")
    return number


def paginate(queryset, number: int, per_page: int, count: int | None = None) -> Page:
    """One page of a queryset; pass `count` when it is known, to spare a COUNT(*)."""
    if count is None:
        count = queryset.count()
    start = (number - 1) * per_page
    if number > 1 and start >= count:
        raise Http404("No such page")
    return Page(list(queryset[start : start + per_page]), number, per_page, count)


def page_url(request, number: int, name: str = "page") -> str:
    params = request.GET.copy()
    params[name] = str(number)
    return "?" + urlencode(list(params.lists()), doseq=True)
