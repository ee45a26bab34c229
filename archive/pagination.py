from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import Http404


@dataclass
class Page:
    items: list
    number: int
    per_page: int
    count: int | None  # None when not counted (lists that only need "newer/older")
    more: bool = False

    @property
    def has_next(self) -> bool:
        return self.more

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def num_pages(self) -> int | None:
        return None if self.count is None else max(1, -(-self.count // self.per_page))

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


def paginate(
    queryset, number: int, per_page: int, count: int | None = None, *, counted: bool = True
) -> Page:
    """One page of a queryset. Pass `count` when it is known, or counted=False when the page
    needs no total: either spares a COUNT(*) over a large table."""
    if count is None and counted:
        count = queryset.count()
    start = (number - 1) * per_page
    items = list(
        queryset[start : start + per_page + 1]
    )  # one more tells whether a next page exists
    more = len(items) > per_page
    items = items[:per_page]
    if number > 1 and not items:
        raise Http404("No such page")
    return Page(items, number, per_page, count, more)


def page_url(request, number: int, name: str = "page") -> str:
    params = request.GET.copy()
    params[name] = str(number)
    return "?" + urlencode(list(params.lists()), doseq=True)
