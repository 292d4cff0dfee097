"""Page links for every console list."""

from __future__ import annotations

from django.core.paginator import Paginator


def paginate(request, qs, size: int, param: str = "page"):
    """The page ``request`` asks for (bad or out-of-range numbers give the nearest page), with
    ``page_range_elided`` and ``param`` for the page-links template."""
    paginator = Paginator(qs, size)
    page = paginator.get_page(request.GET.get(param))
    page.page_range_elided = list(
        paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    )
    page.param = param
    return page
