"""Console upload pages of the station and rider imports (/timebank/stations/import/,
/timebank/riders/import/) and their templates' downloads; the same row report as the API
(``timebank.imports``), which decides who may import what."""

from __future__ import annotations

from django.views.decorators.http import require_GET, require_http_methods

from dangjian.core import scope
from dangjian.timebank import imports
from dangjian.web.decorators import console_view
from dangjian.web.imports import ImportKind, kind_or_404, template_download
from dangjian.web.imports import import_page as render_import

KINDS = {
    "stations": ImportKind(
        "stations",
        "Excel导入驿站",
        "每行一个驿站：所在网格须在您的管理范围内，同一网格内驿站不能重名。",
        "个驿站",
        imports.stations_import,
        imports.stations_template,
        "驿站导入模板.xlsx",
        imports.STATIONS.columns,
        url_name="console:timebank:stations_import",
        template_url_name="console:timebank:stations_import_template",
    ),
    "riders": ImportKind(
        "riders",
        "Excel导入新就业群体",
        "每行一人（快递员、外卖骑手、网约车司机）：报到驿站须在您的管理范围内。手机号码加密保存；"
        "没有账号的新开账号，一次性密码仅在导入结果中显示一次。",
        "人",
        imports.riders_import,
        imports.riders_template,
        "新就业群体导入模板.xlsx",
        imports.RIDERS.columns,
        url_name="console:timebank:riders_import",
        template_url_name="console:timebank:riders_import_template",
    ),
}


@console_view
@require_http_methods(["GET", "POST"])
def import_page(request, kind: str):
    spec = kind_or_404(KINDS, kind)
    if not scope.reach_of(request.user, imports.MANAGE).area_paths:
        raise scope.Forbidden("您没有导入驿站和新就业群体的权限")
    return render_import(
        request,
        spec=spec,
        template="timebank/import.html",
        max_bytes=imports.MAX_IMPORT_BYTES,
        context={"kinds": KINDS.values()},
    )


@console_view
@require_GET
def import_template(request, kind: str):
    spec = kind_or_404(KINDS, kind)
    return template_download(spec)
