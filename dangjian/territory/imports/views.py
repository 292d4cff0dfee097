"""Console upload pages of the three imports (/areas/import/, /areas/households/import/,
/areas/boundaries/import/) and their templates' downloads. The pages answer the same row report
as the API; the services decide who may import what."""

from __future__ import annotations

from django.views.decorators.http import require_GET, require_http_methods

from dangjian.core.scope import Forbidden
from dangjian.territory.imports import areas, boundaries, households
from dangjian.territory.imports.common import MAX_IMPORT_BYTES, Reach
from dangjian.web.decorators import console_view
from dangjian.web.imports import ImportKind, kind_or_404, template_download
from dangjian.web.imports import import_page as render_import

KINDS = {
    "areas": ImportKind(
        "areas",
        "Excel导入区域",
        "每行一个区域：区划代码按类型和上级检查，上级可以是本表中前面的行或系统中已有的区域"
        "（须在您的管理范围内）。同一区划代码不能重复，同一上级下不能重名。",
        "个区域",
        areas.areas_import,
        areas.template,
        "区域导入模板.xlsx",
        areas.COLUMNS,
    ),
    "households": ImportKind(
        "households",
        "Excel导入住户和单元",
        "每行一户：网格须已在系统中，单元不存在时新建；同一单元内门牌不能重复。"
        "户主姓名属于个人信息，加密保存，页面上脱敏显示。",
        "户",
        households.households_import,
        households.template,
        "住户导入模板.xlsx",
        households.COLUMNS,
    ),
    "boundaries": ImportKind(
        "boundaries",
        "导入网格边界",
        "上传GeoJSON文件（FeatureCollection，properties写code或name）或Excel（区划代码/区域、"
        "边界）。边界须为闭合、不自相交的多边形，在中国境内，且在上级边界之内。",
        "个区域的边界",
        boundaries.boundaries_import,
        boundaries.template,
        "边界导入模板.xlsx",
        boundaries.COLUMNS,
        accept=".xlsx,.json,.geojson",
    ),
}


@console_view
@require_http_methods(["GET", "POST"])
def import_page(request, kind: str):
    spec = kind_or_404(KINDS, kind)
    if not Reach(request.user):
        raise Forbidden("您没有导入区域的权限")
    return render_import(
        request,
        spec=spec,
        template="territory/import.html",
        max_bytes=MAX_IMPORT_BYTES,
        context={"kinds": KINDS.values()},
    )


@console_view
@require_GET
def import_template(request, kind: str):
    spec = kind_or_404(KINDS, kind)
    return template_download(spec)
