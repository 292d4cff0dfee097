from django.contrib.auth.backends import ModelBackend

from dangjian.accounts import services


class LockoutBackend(ModelBackend):
    """Password login with lockout after repeated failures; every attempt is audited."""

    def authenticate(self, request, username=None, password=None, otp=None, **kwargs):
        if username is None or password is None:
            return None
        return services.login_check(username=username, password=password, otp=otp)

    def user_can_authenticate(self, user):
        return super().user_can_authenticate(user) and not user.is_locked
