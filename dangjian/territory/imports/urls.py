"""Console URLs of the imports, included by ``console.urls`` under /areas/."""

from django.urls import path

from dangjian.territory.imports import views

urlpatterns = [
    path("import/", views.import_page, {"kind": "areas"}, name="area_import"),
    path("import/template/", views.import_template, {"kind": "areas"}, name="area_import_template"),
    path(
        "households/import/",
        views.import_page,
        {"kind": "households"},
        name="household_import",
    ),
    path(
        "households/import/template/",
        views.import_template,
        {"kind": "households"},
        name="household_import_template",
    ),
    path(
        "boundaries/import/",
        views.import_page,
        {"kind": "boundaries"},
        name="boundary_import",
    ),
    path(
        "boundaries/import/template/",
        views.import_template,
        {"kind": "boundaries"},
        name="boundary_import_template",
    ),
]
