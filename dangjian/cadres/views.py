"""Console pages of the cadres of villages and communities (两委: seats, end of term, reserve
cadres, mentor pairs), in the console's ``members`` namespace. Reads through ``selectors``
(scoped: 404 out of scope), writes through ``services`` (their Chinese messages land on the
form's fields)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.cadres import selectors, services, tables
from dangjian.cadres.forms import CadreEndForm, CadreForm, MentorForm, ReserveForm
from dangjian.cadres.models import Cadre, ReserveCadre
from dangjian.core import scope
from dangjian.core.errors import Conflict
from dangjian.core.scope import Forbidden
from dangjian.members.forms import (
    add_service_errors,
)
from dangjian.members.views import (
    PAGE_SIZE,
    _int,
    _pk,
    _prepare_pickers,
    _ref,
    _render,
    _require,
)
from dangjian.territory.models import Area
from dangjian.web import listing as L
from dangjian.web.decorators import console_view
from dangjian.web.paging import paginate

# --- cadres (两委) --------------------------------------------------------------------------------


def _may_manage_cadres(user) -> bool:
    return bool(scope.reach_of(user, "members.manage").area_paths)


@console_view
@L.exportable
def cadre_list(request):
    user = request.user
    _require(user, "members.view", "您没有查看两委干部的权限")
    serving = request.GET.get("serving", "1") != "0"
    q = (request.GET.get("q") or "").strip()[:50]
    area = _int(request.GET.get("area"))
    try:
        qs = selectors.cadre_list(user, area=area, serving=serving, q=q)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        qs = Cadre.objects.none()
    listed = L.listing_of(request, tables.CADRES)
    qs = listed.order(qs)
    if listed.exporting:
        return listed.export(qs, filters={"serving": serving, "q": q, "area": area})
    page = paginate(request, qs, PAGE_SIZE)
    return _render(
        request,
        "cadres/cadres.html",
        {
            "listing": listed,
            "page": page,
            "serving": serving,
            "q": q,
            "can_manage": _may_manage_cadres(user),
        },
    )


@console_view
@require_http_methods(["GET", "POST"])
def cadre_new(request):
    user = request.user
    if not _may_manage_cadres(user):
        raise Forbidden("您没有管理两委干部的权限")
    form = CadreForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cadre = services.cadre_create(
                actor=user, area=_ref(Area, form.cleaned_data.get("area")), **form.service_args()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"已登记两委干部：{cadre.name}")
            return redirect("console:members:cadres")
    _prepare_pickers(form, user)
    return _render(request, "cadres/cadre_form.html", {"form": form, "cadre": None})


@console_view
@require_http_methods(["GET", "POST"])
def cadre_edit(request, cadre_id: int):
    user = request.user
    cadre = selectors.cadre_get(user, _pk(cadre_id), "members.manage", view_action="members.view")
    initial = {
        f: getattr(cadre, f)
        for f in (
            "committee",
            "position",
            "name",
            "one_shoulder",
            "cross_holding",
            "gender",
            "birth_date",
            "education",
            "term_start",
            "term_end",
        )
    }
    initial["member"] = cadre.member_id
    initial["party_member"] = "yes" if cadre.party_member else "no"
    form = CadreForm(request.POST or None, initial=initial, creating=False)
    if request.method == "POST" and form.is_valid():
        try:
            services.cadre_update(actor=user, cadre=cadre, **form.service_args())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "两委干部信息已更新")
            return redirect("console:members:cadres")
    return _render(
        request,
        "cadres/cadre_form.html",
        {"form": form, "cadre": cadre, "end_form": CadreEndForm()},
    )


@console_view
@require_POST
def cadre_end(request, cadre_id: int):
    """The end of a term or a departure: ``ended_on`` (today when empty)."""
    user = request.user
    cadre = selectors.cadre_get(user, _pk(cadre_id), "members.manage", view_action="members.view")
    form = CadreEndForm(request.POST)
    form.is_valid()
    try:
        services.cadre_update(
            actor=user,
            cadre=cadre,
            ended_on=form.cleaned_data.get("ended_on") or timezone.localdate(),
        )
    except ValidationError as exc:
        messages.error(request, "未能登记卸任：" + "；".join(exc.messages))
        return redirect("console:members:cadre_edit", cadre.pk)
    messages.success(request, f"已登记{cadre.name}卸任")
    return redirect("console:members:cadres")


@console_view
@require_http_methods(["GET", "POST"])
def reserve_list(request):
    """Reserve cadres (后备干部): the list, and the form to add one."""
    user = request.user
    _require(user, "members.view", "您没有查看后备干部的权限")
    listed = L.listing_of(request, tables.RESERVES)
    if listed.exporting:  # the export form's POST, open to whoever sees the list
        return listed.export(listed.order(selectors.reserve_cadre_list(user)))
    form = ReserveForm(request.POST or None)
    if request.method == "POST":
        if not _may_manage_cadres(user):
            raise Forbidden("您没有管理后备干部的权限")
        if form.is_valid():
            try:
                reserve = services.reserve_cadre_create(
                    actor=user,
                    area=_ref(Area, form.cleaned_data.get("area")),
                    **form.service_args(),
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"已纳入后备干部：{reserve.name}")
                return redirect("console:members:reserves")
    page = paginate(request, listed.order(selectors.reserve_cadre_list(user)), PAGE_SIZE)
    _prepare_pickers(form, user)
    return _render(
        request,
        "cadres/reserves.html",
        {
            "listing": listed,
            "page": page,
            "form": form,
            "can_manage": _may_manage_cadres(user),
        },
    )


MENTOR_CHOICES_LIMIT = 500


@console_view
@require_http_methods(["GET", "POST"])
def mentorship_list(request):
    """Mentor pairs (导师帮带): the list, and the form pairing a serving cadre with a reserve
    cadre of the same village (the service checks it)."""
    user = request.user
    _require(user, "members.view", "您没有查看导师帮带的权限")
    listed = L.listing_of(request, tables.MENTORSHIPS)
    if listed.exporting:  # the export form's POST, open to whoever sees the list
        return listed.export(listed.order(selectors.mentor_pair_list(user)))
    can_manage = _may_manage_cadres(user)
    mentors = [
        (c.pk, f"{c.name}（{c.area.name}{c.get_position_display()}）")
        for c in selectors.cadre_list(user, action="members.manage")[:MENTOR_CHOICES_LIMIT]
    ]
    mentees = [
        (r.pk, f"{r.name}（{r.area.name}）")
        for r in ReserveCadre.objects.visible_to(user, "members.manage")
        .filter(ended_on__isnull=True)
        .select_related("area")
        .defer("area__boundary")
        .order_by("area_path", "id")[:MENTOR_CHOICES_LIMIT]
    ]
    form = MentorForm(request.POST or None, mentors=mentors, mentees=mentees)
    if request.method == "POST":
        if not can_manage:
            raise Forbidden("您没有管理导师帮带的权限")
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.mentor_pair_create(
                    actor=user,
                    mentor=Cadre(pk=data["mentor"]) if data.get("mentor") else None,
                    mentee=ReserveCadre(pk=data["mentee"]) if data.get("mentee") else None,
                    started_on=data.get("started_on"),
                    goal=data.get("goal") or "",
                )
            except (ValidationError, Conflict) as exc:
                if isinstance(exc, Conflict):
                    form.add_error(None, exc.message)
                else:
                    add_service_errors(form, exc)
            else:
                messages.success(request, "已建立导师帮带关系")
                return redirect("console:members:mentorships")
    page = paginate(request, listed.order(selectors.mentor_pair_list(user)), PAGE_SIZE)
    return _render(
        request,
        "cadres/mentorships.html",
        {"listing": listed, "page": page, "form": form, "can_manage": can_manage},
    )
