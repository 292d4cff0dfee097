"""The console's Excel import page, once for every import that answers the row report of
``core.excel_import``: the upload form (``web.forms.ImportForm``), the import run by its
service, the report (at most ``REPORT_ERRORS_SHOWN`` bad cells shown) or the file's error on
the form. A report carrying one-time passwords (``accounts``) is never cached."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render

from dangjian.core.api import no_store
from dangjian.core.downloads import attachment
from dangjian.web.forms import ImportForm, add_service_errors

REPORT_ERRORS_SHOWN = 500


@dataclass(frozen=True)
class ImportKind:
    """One import of a console page: ``run(actor=, content=, mode=)`` answers the report,
    ``template()`` the blank workbook; ``columns`` (``core.excel_import.Column``) are listed on
    the page; ``unit`` counts what was imported ("个区域")."""

    key: str
    title: str
    note: str
    unit: str
    run: Callable
    template: Callable
    filename: str
    columns: tuple
    accept: str = ".xlsx"
    url_name: str = ""
    template_url_name: str = ""


def kind_or_404(kinds: dict, key: str) -> ImportKind:
    kind = kinds.get(key)
    if kind is None:
        raise Http404("未找到")
    return kind


def template_download(kind: ImportKind):
    """The blank workbook of ``kind`` as an attachment."""
    return attachment(kind.template(), kind.filename)


def import_page(request, *, spec, template: str, max_bytes: int, context: dict | None = None):
    """``spec.run(actor=, content=, mode=)`` answers the report; ``spec.accept`` (optional)
    the file types offered."""
    form = ImportForm(
        request.POST or None,
        request.FILES or None,
        max_bytes=max_bytes,
        accept=getattr(spec, "accept", ".xlsx"),
    )
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            report = spec.run(
                actor=request.user,
                content=form.cleaned_data["file"].read(),
                mode=form.cleaned_data["mode"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
    response = render(
        request,
        template,
        {
            "spec": spec,
            "form": form,
            "report": report,
            "errors_shown": report["errors"][:REPORT_ERRORS_SHOWN] if report else [],
            "errors_cut": bool(report) and len(report["errors"]) > REPORT_ERRORS_SHOWN,
            "limit": REPORT_ERRORS_SHOWN,
            **(context or {}),
        },
    )
    if report and report.get("accounts"):
        no_store(response)
    return response
