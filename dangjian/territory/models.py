from django.db import models
from django.utils.translation import gettext_lazy as _

from dangjian.core.crypto import EncryptedField, mask
from dangjian.core.scope import ScopedManager, ScopeFields
from dangjian.core.tree import PathField
from dangjian.core.treemodel import TreeNode


class AreaKind(models.TextChoices):
    CITY = "city", _("市")
    COUNTY = "county", _("县(区)")
    TOWNSHIP = "township", _("乡镇")
    STREET = "street", _("街道")
    VILLAGE = "village", _("村")
    COMMUNITY = "community", _("社区")
    GRID = "grid", _("网格")
    UNIT = "unit", _("单元")


# Governance level of each kind (a deployment may leave a level out).
LEVEL_OF = {
    AreaKind.CITY: 1,
    AreaKind.COUNTY: 2,
    AreaKind.TOWNSHIP: 3,
    AreaKind.STREET: 3,
    AreaKind.VILLAGE: 4,
    AreaKind.COMMUNITY: 4,
    AreaKind.GRID: 5,
    AreaKind.UNIT: 6,
}


class Area(TreeNode):
    """A node of the governance tree: city > county > township/street > village/community >
    grid > unit."""

    kind = models.CharField(_("类型"), max_length=16, choices=AreaKind.choices)
    level = models.PositiveSmallIntegerField(_("层级"))
    code = models.CharField(_("区划代码"), max_length=12, blank=True, db_index=True)
    households = models.PositiveIntegerField(_("户数"), default=0)
    population = models.PositiveIntegerField(_("人口"), default=0)
    # Grid boundary: GeoJSON polygon plus its bounding box for cheap "is it near" checks.
    boundary = models.JSONField(_("边界"), null=True, blank=True)
    min_lng = models.FloatField(null=True, blank=True)
    min_lat = models.FloatField(null=True, blank=True)
    max_lng = models.FloatField(null=True, blank=True)
    max_lat = models.FloatField(null=True, blank=True)
    # A closed area (撤销) stays for history and the reports of past periods: hidden from
    # pickers and from the default children listing, it takes no new children or rows.
    closed_on = models.DateField(_("撤销日期"), null=True, blank=True, db_index=True)
    closed_reason = models.CharField(_("撤销原因"), max_length=200, blank=True, default="")
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("并入区域"),
    )

    scope_fields = ScopeFields(area="path")

    class Meta:
        verbose_name = _("区域")
        verbose_name_plural = _("区域")
        ordering = ["path"]
        indexes = [models.Index(fields=["parent", "path"]), models.Index(fields=["kind", "path"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(depth__gte=1), name="area_depth_positive"),
        ]

    @property
    def area_path(self) -> str:
        return self.path

    @property
    def is_closed(self) -> bool:
        return self.closed_on is not None


class Household(models.Model):
    """A household in a unit (counted on units at city scale; listed in the small city).

    The head of household is personal data: encrypted at rest (``EncryptedField``), masked on
    screens (``crypto.mask("name", ...)``), revealed whole only through ``core.pii.reveal``."""

    unit = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="household_rows", verbose_name=_("单元")
    )
    area_path = PathField(_("区域路径"), db_index=True)
    # The door label is the grid worker's visit key and an address: encrypted at rest, found
    # by its blind index (``crypto.blind_index("address", door)``), shown whole to who may
    # visit the household (``cases.visit``), masked to the others, revealed with a purpose.
    door = EncryptedField(_("门牌"), pii_kind="address")
    door_index = models.CharField(
        max_length=64, blank=True, default="", db_index=True, editable=False
    )
    head_name = EncryptedField(_("户主"), pii_kind="name", blank=True, default="")
    members = models.PositiveSmallIntegerField(_("人数"), default=1)

    objects = ScopedManager()
    scope_fields = ScopeFields(area="area_path")

    class Meta:
        verbose_name = _("住户")
        verbose_name_plural = _("住户")
        ordering = ["area_path", "id"]

    def __str__(self) -> str:  # audit rows name it: masked
        return mask("address", self.door)
