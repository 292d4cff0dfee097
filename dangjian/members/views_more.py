"""More console pages of the member registry: the member's photo (``core.files``), the
community's service records of a check-in. Reads through ``selectors`` (scoped: 404 out
of scope), writes through ``services`` (their Chinese messages land on the form's fields)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dangjian.core import files
from dangjian.core.errors import Conflict
from dangjian.core.scope import Forbidden, scoped_object
from dangjian.members import selectors, services
from dangjian.members.forms import (
    PhotoForm,
    ServiceRecordForm,
    add_service_errors,
)
from dangjian.members.models import CommunityCheckin
from dangjian.members.views import (
    _pk,
    _render,
)
from dangjian.web.decorators import console_view

# --- the photo ----------------------------------------------------------------------------------


@console_view
@require_GET
@scoped_object("member_id", selectors.member_get)
def member_photo(request, member):
    """The photo, served only when the member's file is visible to the user."""
    if not member.photo_id:
        raise Http404("未上传照片")
    response = files.file_response(member.photo)
    response["Cache-Control"] = "private, no-store"
    return response


@console_view
@require_POST
def member_photo_upload(request, member_id: int):
    member = selectors.member_get(
        request.user, _pk(member_id), "members.manage", view_action="members.view"
    )
    form = PhotoForm(request.POST, request.FILES)
    form.is_valid()
    try:
        services.member_set_photo(
            actor=request.user, member=member, upload=form.cleaned_data.get("photo")
        )
    except ValidationError as exc:
        messages.error(request, "照片未上传：" + "；".join(exc.messages))
    else:
        messages.success(request, "照片已更换" if member.photo_id else "照片已上传")
    return redirect("console:members:detail", member.pk)


@console_view
@require_POST
def member_photo_remove(request, member_id: int):
    member = selectors.member_get(
        request.user, _pk(member_id), "members.manage", view_action="members.view"
    )
    try:
        services.member_remove_photo(actor=request.user, member=member)
    except Conflict as exc:
        messages.error(request, "照片未删除：" + exc.message)
    else:
        messages.success(request, "照片已删除")
    return redirect("console:members:detail", member.pk)


# --- service records of a check-in --------------------------------------------------------------


@console_view
@require_http_methods(["GET", "POST"])
def checkin_detail(request, checkin_id: int):
    """The community's page of one check-in: the name, the unit, the services and their hours
    (never the member's file); who holds ``members.checkin`` records a service."""
    user = request.user
    checkin = selectors.checkin_get(user, _pk(checkin_id))
    can_record = (
        CommunityCheckin.objects.visible_to(user, "members.checkin").filter(pk=checkin.pk).exists()
    )
    form = ServiceRecordForm(request.POST or None)
    if request.method == "POST":
        if not can_record:
            raise Forbidden("您没有登记服务记录的权限")
        if form.is_valid():
            try:
                services.checkin_service_record(actor=user, checkin=checkin, **form.service_args())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "服务记录已登记")
                return redirect("console:members:checkin", checkin.pk)
    return _render(
        request,
        "members/checkin.html",
        {
            "checkin": checkin,
            "services": list(checkin.services.order_by("-served_on", "-id")),
            "form": form,
            "can_record": can_record,
        },
    )
