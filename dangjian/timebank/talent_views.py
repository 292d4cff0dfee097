"""Console pages of the talent roster (能人榜) per residential community, included by the console
under ``timebank/talents/``: the list (search, filters, sortable columns, Excel export through
``web.listing``), putting a resident on the roster, editing, retiring and restoring an entry.
Residents book a talent on the phone (``/m/timebank/order/?talent=``) through the one order
flow; an entry's page lists those orders.

Thin: reads through ``selectors`` (``visible_to``), writes through ``services``; a refused
write shows the service's Chinese message on the form's field."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.accounts.models import User
from dangjian.core.ids import pk_or_404 as _pk
from dangjian.core.scope import Forbidden
from dangjian.timebank import selectors, services, tables
from dangjian.timebank.models import ServiceClass, TalentOffer
from dangjian.web import listing as L
from dangjian.web.decorators import console_view
from dangjian.web.forms import TextField, add_service_errors
from dangjian.web.paging import paginate

PAGE_SIZE = 30
ACTIVE = {"": None, "1": True, "0": False}


class TalentForm(forms.Form):
    """An entry's fields as typed: the service checks them and names what is wrong."""

    service_class = forms.ChoiceField(label="服务类别", choices=ServiceClass.choices)
    skill = TextField(label="特长", required=False, max_length=200)
    description = TextField(label="服务说明", required=False, max_length=1000)
    available = TextField(label="可服务时间", required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service_class"].error_messages.update(
            {"required": "请选择服务类别", "invalid_choice": "服务类别取值无效"}
        )


class NewTalentForm(TalentForm):
    user = forms.TypedChoiceField(label="能人", coerce=int, choices=[])

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [("", "请选择本社区居民或党员")] + [
            (u.pk, str(u)) for u in candidates
        ]
        self.fields["user"].error_messages.update(
            {"required": "请选择能人", "invalid_choice": "请选择本社区居民或党员"}
        )


def _filters(request) -> dict:
    community = request.GET.get("community", "")
    service_class = request.GET.get("service_class", "")
    return {
        "q": request.GET.get("q", "").strip()[:50],
        "community_id": _pk(int(community)) if community.isdigit() else None,
        "service_class": service_class if service_class in ServiceClass.values else "",
        "active": ACTIVE.get(request.GET.get("active", ""), None),
    }


@console_view
@require_http_methods(["GET", "POST"])
def talents(request):
    user = request.user
    filters = _filters(request)
    listed = L.listing_of(request, tables.TALENTS)
    if listed.exporting:  # the export form's POST, open to whoever sees the list
        return listed.export(listed.order(selectors.talent_roster(user, **filters)))
    communities = selectors.communities_managed(user)
    community = next((c for c in communities if c.pk == filters["community_id"]), None)
    candidates = selectors.talent_candidates(user, community) if community else []
    form = NewTalentForm(request.POST or None, candidates=candidates)
    if request.method == "POST" and filters["community_id"] and community is None:
        raise Http404("未找到")  # a community out of the actor's reach
    if request.method == "POST" and community is None:
        form.is_valid()
        form.add_error(None, "请先选择社区，再登记能人")
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            t = services.talent_offer(
                actor=user,
                user=User(pk=data["user"]),
                community=community,
                service_class=data["service_class"],
                skill=data["skill"],
                description=data["description"],
                available=data["available"],
            )
        except Forbidden as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            add_service_errors(form, exc, aliases={"user_id": "user"})
        else:
            messages.success(request, f"已将{t.name}登记到{community.name}能人榜")
            return redirect(f"{request.path}?community={community.pk}")
    qs = listed.order(selectors.talent_roster(user, **filters))
    page = paginate(request, qs, PAGE_SIZE)
    return render(
        request,
        "timebank/talents.html",
        {
            "page": page,
            "rows": page.object_list,
            "form": form,
            "community": community,
            "communities": communities,
            "classes": ServiceClass.choices,
            "f": {k: request.GET.get(k, "") for k in ("q", "community", "service_class", "active")},
            "listing": listed,
        },
        status=400 if request.method == "POST" else 200,
    )


@console_view
@require_http_methods(["GET", "POST"])
def talent_page(request, talent_id: int):
    t = selectors.talent_detail(request.user, _pk(talent_id))
    initial = {f: getattr(t, f) for f in ("service_class", "skill", "description", "available")}
    form = TalentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.talent_update(actor=request.user, talent=t, data=form.cleaned_data)
        except Forbidden as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "已保存")
            return redirect("console:timebank:talent", talent_id=t.pk)
    return render(
        request,
        "timebank/talent.html",
        {"t": t, "form": form, "bookings": selectors.talent_bookings(request.user, t)},
        status=400 if request.method == "POST" else 200,
    )


@console_view
@require_POST
def talent_active(request, talent_id: int):
    """Retire an entry from the roster (``on=0``) or put it back (``on=1``)."""
    on = request.POST.get("on") == "1"
    try:
        services.talent_update(
            actor=request.user, talent=TalentOffer(pk=_pk(talent_id)), data={"active": on}
        )
    except (Forbidden, ValidationError) as exc:
        messages.error(request, getattr(exc, "message", None) or "；".join(exc.messages))
    else:
        messages.success(request, "已恢复上榜" if on else "已下榜")
    return redirect("console:timebank:talent", talent_id=talent_id)
