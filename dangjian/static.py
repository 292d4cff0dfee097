"""Static files served by the app itself when no nginx stands in front (the embedded default)."""

from django.conf import settings
from whitenoise import WhiteNoise


def with_static(application):
    return WhiteNoise(application, root=str(settings.STATIC_ROOT), prefix=settings.STATIC_URL)
