from django.contrib.auth.backends import ModelBackend

from dangjian.accounts import services


class LockoutBackend(ModelBackend):
    """Password login through ``services.login_check``: failures throttled per account and
    client address (``accounts.throttle``), every attempt audited. (The name is kept from the
    old lock-out behaviour: sessions store the backend's dotted path.)"""

    def authenticate(self, request, username=None, password=None, otp=None, **kwargs):
        if username is None or password is None:
            return None
        return services.login_check(username=username, password=password, otp=otp)

    def user_can_authenticate(self, user):
        return super().user_can_authenticate(user) and not user.is_locked
