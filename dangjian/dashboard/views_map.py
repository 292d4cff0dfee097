"""Console pages of the one map: the map page (coloured by a figure, drill-down by click, a
grid's card) and the big screen (1920×1080, dark, no menus, refreshing itself). Both are shells:
the figures come from the map and reports API, fetched by ``dashboard/map.js`` and
``dashboard/screen.js`` (no inline script: the content security policy allows our files only).
"""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render

from dangjian.core.ids import MAX_PK
from dangjian.dashboard.geo import selectors
from dangjian.dashboard.geo.figures import FIGURES
from dangjian.web.decorators import console_view


def _node_param(request) -> int | None:
    raw = request.GET.get("node") or ""
    if not raw:
        return None
    try:
        pk = int(raw)
    except ValueError:
        raise Http404 from None
    if not 1 <= pk <= MAX_PK:
        raise Http404
    return pk


def _figure_param(request) -> str:
    figure = request.GET.get("figure") or "events_per_1000"
    return figure if figure in FIGURES else "events_per_1000"


@console_view
def map_page(request):
    """The map of a node's children coloured by a figure; a click drills into a child or
    opens a grid's card."""
    node = selectors.map_node(request.user, _node_param(request))
    return render(
        request,
        "dashboard/map.html",
        {
            "node": node,
            "figure": _figure_param(request),
            "figures": [(code, str(label)) for code, label in FIGURES.items()],
        },
    )


@console_view
def screen_page(request):
    """The command-centre big screen of a node."""
    node = selectors.map_node(request.user, _node_param(request))
    return render(
        request,
        "dashboard/screen.html",
        {"node": node, "figure": _figure_param(request)},
    )
