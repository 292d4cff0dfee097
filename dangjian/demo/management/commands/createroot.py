"""``dangjian createroot``: the root of both trees for a new deployment.

Nobody's reach covers a node that does not exist yet, so the first area (the city, or a
county-level city such as 永安市) and its party committee are written by the operator's own
command, through the same services and checks as every other write (``actor=None``, audited);
``createadmin`` then grants the system administrator on them.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import translation

from dangjian.organizations import services as org_services
from dangjian.organizations.models import OrgDomain, OrgKind
from dangjian.territory import services as area_services
from dangjian.territory.models import Area, AreaKind


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "；".join(f"{k}：{m}" for k, msgs in exc.message_dict.items() for m in msgs)
    return "；".join(exc.messages)


@transaction.atomic
def create_root(*, name: str, kind: str, code: str = "", org_name: str = ""):
    """The root area (and, with ``org_name``, its party committee); refuses a second root."""
    existing = Area.objects.filter(parent__isnull=True).first()
    if existing is not None:
        raise CommandError(
            f"已有根区域“{existing.name}”：一个部署只有一个根，请在控制台中新建下级区域"
        )
    area = area_services.area_create(actor=None, parent=None, name=name, kind=kind, code=code)
    org = None
    if org_name:
        org = org_services.org_create(
            actor=None,
            parent=None,
            area=area,
            name=org_name,
            kind=OrgKind.COMMITTEE,
            domain=OrgDomain.AGENCY,
        )
    return area, org


class Command(BaseCommand):
    help = "建立新部署的根：根区域（地级市或县级市）及其党委；然后用 createadmin 创建系统管理员。"

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="根区域名称，如 永安市")
        parser.add_argument(
            "--kind",
            choices=[AreaKind.CITY, AreaKind.COUNTY],
            default=AreaKind.CITY,
            help="city：地级市（下设县区）；county：县级市（直接下设乡镇、街道）",
        )
        parser.add_argument("--code", default="", help="6位行政区划代码，如 350481")
        parser.add_argument("--org-name", default="", help="根党组织名称，如 中共永安市委员会")

    def handle(self, *args, name, kind, code, org_name, **options):
        with translation.override("zh-hans"):
            try:
                area, org = create_root(name=name, kind=kind, code=code, org_name=org_name)
            except ValidationError as exc:
                raise CommandError(_messages(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(f"已建立根区域“{area.name}”（{area.get_kind_display()}）。")
        )
        if org is not None:
            self.stdout.write(self.style.SUCCESS(f"已建立根党组织“{org.name}”。"))
        self.stdout.write("下一步：dangjian createadmin 创建系统管理员，授权在根区域和根党组织上。")
