"""Console pages of the statistical reports (filled in below)."""

from django.http import Http404

from dangjian.web.decorators import console_view


@console_view
def report_list(request):
    raise Http404


@console_view
def report_detail(request, table: str):
    raise Http404
