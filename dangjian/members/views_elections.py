"""Console pages of terms and elections: the elections-due list (换届提醒: the 6-month reminder,
overdue, postponements, vacant secretaries) and, on an organization's committee page, the
approved postponement and the seats ended or filled between elections
(``committee_terms``; each form only parses, the service's messages shown on its fields)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core import scope
from dangjian.core.downloads import attachment
from dangjian.core.errors import Conflict
from dangjian.core.ids import id_or_none
from dangjian.members import (
    committee_import,
    committee_selectors,
    committee_services,
    committee_terms,
    tables,
)
from dangjian.members.models.committee import CommitteePost
from dangjian.members.views import _pk, _render
from dangjian.organizations.models import PartyOrg
from dangjian.web import listing as L
from dangjian.web.decorators import console_view
from dangjian.web.forms import TextField, add_service_errors
from dangjian.web.paging import paginate

PAGE_SIZE = 50


class PostponeForm(forms.Form):
    postponed_to = forms.DateField(label="延期换届至", required=False)
    document_no = TextField(label="批准文号", required=False)
    document_date = forms.DateField(label="批准日期", required=False)
    reason = TextField(label="延期原因", required=False, widget=forms.Textarea(attrs={"rows": 2}))


class SeatEndForm(forms.Form):
    ends_on = forms.DateField(label="离任日期", required=False)
    reason = TextField(label="离任原因", required=False)


class SeatAddForm(forms.Form):
    member_id = forms.IntegerField(label="党员", required=False)
    post = forms.ChoiceField(label="职务", choices=CommitteePost.choices, required=False)
    full_time = forms.BooleanField(label="专职", required=False)
    starts_on = forms.DateField(label="任职日期", required=False)


@console_view
@L.exportable
def elections_due(request):
    """Serving committees by due date within the user's reach (sortable; the export form's
    POST writes the filtered rows)."""
    user = request.user
    today = timezone.localdate()
    status = request.GET.get("status") or "due"
    if status not in committee_selectors.DUE_STATUSES:
        status = "due"
    org_id = id_or_none(request.GET.get("org"))
    listed = L.listing_of(request, tables.ELECTIONS)
    qs = listed.order(
        committee_selectors.elections_due(user, status=status, org=org_id, today=today)
    )

    def prepare(rows):
        for c in rows:
            c.due = committee_selectors.due_of(c, today)
            c.vacancy = committee_selectors.vacancy_of_row(c, today)
        return rows

    if listed.exporting:
        return listed.export(qs, prepare=prepare)
    page = paginate(request, qs, PAGE_SIZE)
    prepare(page.object_list)
    return _render(
        request,
        "members/elections_due.html",
        {
            "page": page,
            "status": status,
            "statuses": committee_selectors.DUE_STATUSES.items(),
            "today": today,
            "reminder_months": committee_selectors.reminder_months(),
            "org_id": org_id or "",
            "listing": listed,
        },
    )


def _org(request, org_id: int) -> PartyOrg:
    return scope.get_visible(
        PartyOrg.objects.defer("contact_phone"),
        request.user,
        committee_services.MANAGE,
        view_action=committee_services.VIEW,
        pk=_pk(org_id),
    )


def _done(request, org, warnings, text):
    messages.success(request, text)
    for w in warnings or []:
        messages.warning(request, w)
    return redirect("console:members:committee", org.pk)


def _failed(request, org, form, exc):
    if isinstance(exc, ValidationError):
        add_service_errors(form, exc)
    else:
        form.add_error(None, exc.message)
    for field, errors in form.errors.items():
        for e in errors:
            messages.error(request, e if field == "__all__" else f"{form[field].label}：{e}")
    return redirect("console:members:committee", org.pk)


@console_view
@require_POST
def committee_postpone(request, org_id: int):
    org = _org(request, org_id)
    form = PostponeForm(request.POST)
    form.is_valid()
    try:
        committee_terms.committee_postpone(
            actor=request.user,
            org=org,
            postponed_to=form.cleaned_data.get("postponed_to"),
            document_no=form.cleaned_data.get("document_no", ""),
            document_date=form.cleaned_data.get("document_date"),
            reason=form.cleaned_data.get("reason", ""),
        )
    except (ValidationError, Conflict) as exc:
        return _failed(request, org, form, exc)
    return _done(request, org, [], "已登记延期换届")


@console_view
@require_POST
def committee_seat_end(request, org_id: int, seat_id: int):
    org = _org(request, org_id)
    form = SeatEndForm(request.POST)
    form.is_valid()
    try:
        seat = committee_terms.committee_seat_end(
            actor=request.user,
            org=org,
            seat_id=_pk(seat_id),
            ends_on=form.cleaned_data.get("ends_on"),
            reason=form.cleaned_data.get("reason", ""),
        )
    except (ValidationError, Conflict) as exc:
        return _failed(request, org, form, exc)
    return _done(request, org, seat.warnings, f"已登记{seat.member_name}离任")


@console_view
@require_POST
def committee_seat_add(request, org_id: int):
    org = _org(request, org_id)
    form = SeatAddForm(request.POST)
    form.is_valid()
    try:
        seat = committee_terms.committee_seat_add(
            actor=request.user,
            org=org,
            member_id=form.cleaned_data.get("member_id"),
            post=form.cleaned_data.get("post") or request.POST.get("post", ""),
            full_time=form.cleaned_data.get("full_time", False),
            starts_on=form.cleaned_data.get("starts_on"),
        )
    except (ValidationError, Conflict) as exc:
        return _failed(request, org, form, exc)
    return _done(
        request, org, seat.warnings, f"已登记{seat.member_name}任{seat.get_post_display()}"
    )


class CommitteeImportForm(forms.Form):
    file = forms.FileField(label="Excel文件（.xlsx）", required=False)
    mode = forms.ChoiceField(
        label="导入方式", choices=list(committee_import.MODES.items()), initial="all_or_nothing"
    )


@console_view
@require_http_methods(["GET", "POST"])
def committees_import(request):
    """Upload committees from Excel; the report row by row."""
    form = CommitteeImportForm(request.POST or None, request.FILES or None)
    report = None
    status = 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("file")
        try:
            if upload is None:
                raise ValidationError({"file": ["请上传Excel文件（.xlsx）"]})
            if upload.size > committee_import.MAX_BYTES:
                raise ValidationError({"file": ["文件不能超过5MB，请拆分后分批导入"]})
            report = committee_import.committees_import(
                actor=request.user, content=upload.read(), mode=form.cleaned_data["mode"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            status = 422
    return _render(
        request,
        "members/committee_import.html",
        {"form": form, "report": report, "columns": committee_import.COLUMNS},
        status=status,
    )


@console_view
@require_GET
def committees_import_template(request):
    return attachment(committee_import.template_bytes(), "委员会导入模板.xlsx")
