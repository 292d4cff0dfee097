from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from dangjian.console.forms import LoginForm


def login_view(request):
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.user, backend="dangjian.accounts.backends.LockoutBackend")
        nxt = request.GET.get("next", "/")
        return redirect(nxt if nxt.startswith("/") and not nxt.startswith("//") else "/")
    return render(request, "console/login.html", {"form": form})


@require_POST
def logout_view(request):
    logout(request)
    return redirect("console:login")


@login_required
def home(request):
    return render(request, "console/home.html", {})
