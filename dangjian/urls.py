from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from dangjian.api import api


class FaviconView(RedirectView):
    """Browsers ask for /favicon.ico whatever the page says: send them to the site's icon."""

    permanent = True

    def get_redirect_url(self, *args, **kwargs):
        return static("console/favicon.svg")


urlpatterns = [
    path("favicon.ico", FaviconView.as_view()),
    path("api/v1/", api.urls),
    path("m/", include("dangjian.portal.urls")),
    path("", include("dangjian.console.urls")),
]

handler403 = "dangjian.console.views.error_403"
handler404 = "dangjian.console.views.error_404"
handler500 = "dangjian.console.views.error_500"
