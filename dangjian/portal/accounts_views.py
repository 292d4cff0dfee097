"""Mobile pages of residents' self-registration: the sign-up page (no login: phone, the
grid's invitation code, name, password) and the grid worker's list to confirm or reject."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.accounts import services
from dangjian.accounts.models import Registration, RegistrationState
from dangjian.core import scope
from dangjian.core.errors import Conflict
from dangjian.core.ids import id_or_none
from dangjian.web.decorators import console_view, forbidden_page
from dangjian.web.forms import TextField, add_service_errors
from dangjian.web.paging import paginate


class RegisterForm(forms.Form):
    code = TextField(label="邀请码", max_length=16)
    name = TextField(label="姓名", max_length=50)
    phone = TextField(label="手机号码", max_length=20)
    password = forms.CharField(label="密码", widget=forms.PasswordInput, max_length=128)
    password2 = forms.CharField(label="再次输入密码", widget=forms.PasswordInput, max_length=128)

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", "两次输入的密码不一致")
        return data


@require_http_methods(["GET", "POST"])
def register(request):
    """Open to everyone: the page a grid's QR code leads to, its code filled in."""
    code = (request.GET.get("code") or "")[:16]
    form = RegisterForm(request.POST or None, initial={"code": code})
    invitation = services.invitation_by_code(code) if code else None
    done = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            done = services.registration_submit(
                code=d["code"], name=d["name"], phone=d["phone"], password=d["password"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
    return render(
        request,
        "portal/accounts/register.html",
        {"form": form, "invitation": invitation, "done": done},
    )


def _pending(request):
    return (
        Registration.objects.visible_to(request.user, services.registration.CONFIRM)
        .filter(state=RegistrationState.PENDING)
        .select_related("area")
        .defer("area__boundary")
    )


@console_view
def registrations(request):
    """The grid worker's phone list of registrations waiting in their grids."""
    if not request.user.can(services.registration.CONFIRM):
        return forbidden_page(request)
    page = paginate(request, _pending(request), 20)
    return render(request, "portal/accounts/registrations.html", {"page": page})


@console_view
@require_POST
def decide(request, registration_id: int):
    pk = id_or_none(registration_id)
    confirm = request.POST.get("op") == "confirm"
    try:
        services.registration_decide(
            actor=request.user,
            registration=Registration(pk=pk),
            confirm=confirm,
            reason=request.POST.get("reason", ""),
        )
        messages.success(request, "已确认注册" if confirm else "已退回注册申请")
    except (ValidationError, Conflict) as exc:
        messages.error(
            request, getattr(exc, "message", None) or "；".join(getattr(exc, "messages", []))
        )
    except scope.Forbidden as exc:
        return forbidden_page(request, exc.message)
    return redirect("portal:registrations")
