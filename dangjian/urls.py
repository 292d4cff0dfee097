from django.urls import include, path

from dangjian.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("", include("dangjian.console.urls")),
]
