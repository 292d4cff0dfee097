from django.urls import include, path

from dangjian.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("m/", include("dangjian.portal.urls")),
    path("", include("dangjian.console.urls")),
]

handler403 = "dangjian.console.views.error_403"
handler404 = "dangjian.console.views.error_404"
handler500 = "dangjian.console.views.error_500"
