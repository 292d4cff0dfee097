"""The abstract node shared by the Area and PartyOrg trees, and the mover that rewrites paths."""

from __future__ import annotations

from django.db import connections, models
from django.db.models import Value
from django.db.models.functions import Concat, Length, Substr
from django.utils.translation import gettext_lazy as _

from dangjian.core import tree
from dangjian.core.scope import ScopedManager
from dangjian.core.tree import PathField


class TreeNode(models.Model):
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("上级"),
    )
    path = PathField(_("路径"), unique=True)
    depth = models.PositiveSmallIntegerField(_("深度"))
    name = models.CharField(_("名称"), max_length=100)
    pinyin = models.CharField(_("拼音首字母"), max_length=64, blank=True, db_index=True)
    child_count = models.PositiveIntegerField(_("下级数"), default=0)
    # The next step to hand to a new child; taken under a row lock on the parent.
    next_child = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedManager()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def path_end(self) -> str:
        return tree.path_end(self.path)


# Denormalized copies of tree paths, registered by each app in AppConfig.ready():
# (model, field, tree) where tree is "area" or "org". A move rewrites them all.
_PATH_COPIES: list[tuple[type[models.Model], str, str]] = []


def register_path_copy(model: type[models.Model], field: str, tree_name: str) -> None:
    entry = (model, field, tree_name)
    if entry not in _PATH_COPIES:
        _PATH_COPIES.append(entry)


def register_path_copies(app_label: str) -> None:
    """Register every ``area_path`` and ``org_path`` column of the app's models with the moves of
    their tree (``node_move`` rewrites them in the same transaction)."""
    from django.apps import apps

    for model in apps.get_app_config(app_label).get_models():
        for f in model._meta.concrete_fields:
            if f.name == "area_path":
                register_path_copy(model, "area_path", "area")
            elif f.name == "org_path":
                register_path_copy(model, "org_path", "org")


# What a move must also tell, called by ``node_move`` in order, inside its transaction, after
# every stored path is rewritten: ``hook(tree_name=..., old=..., new=...)`` (the moved node's
# paths). Registered once by the app that keeps state derived from paths beyond a plain copy
# (accounts: the version of the grants kept across requests), in AppConfig.ready(). An
# explicit call on a declared list, not a signal: the kernel cannot import accounts, and the
# list is all there is to read to know what a move does.
_MOVE_HOOKS: list = []


def register_move_hook(hook) -> None:
    if hook not in _MOVE_HOOKS:
        _MOVE_HOOKS.append(hook)


def move_hooks() -> list:
    return list(_MOVE_HOOKS)


def path_copies(tree_name: str) -> list[tuple[type[models.Model], str]]:
    return [(m, f) for m, f, t in _PATH_COPIES if t == tree_name]


def rewrite_prefix(qs: models.QuerySet, field: str, old: str, new: str) -> int:
    """Replace the prefix ``old`` of ``field`` by ``new`` on rows within the old subtree."""
    return qs.filter(**{f"{field}__gte": old, f"{field}__lt": tree.path_end(old)}).update(
        **{
            field: Concat(
                Value(new), Substr(field, len(old) + 1, Length(field)), output_field=PathField()
            )
        }
    )


# The UPDATE of one stored path column by prefix, written once per (model, column, with the
# depth): a move rewrites some twenty columns, and building each statement through the ORM's
# expressions cost more than running it on a street's subtree. Same rows, same values as
# ``rewrite_prefix`` (the old prefix's half-open range, the new prefix glued to the rest).
_PREFIX_SQL: dict[tuple, str] = {}


def _prefix_sql(model: type[models.Model], field: str, depth: bool, vendor: str) -> str:
    key = (model, field, depth, vendor)
    sql = _PREFIX_SQL.get(key)
    if sql is None:
        qn = connections[model._default_manager.db].ops.quote_name
        column = model._meta.get_field(field)
        assert isinstance(column, models.Field) and column.column
        col = qn(column.column)
        also = f", {qn('depth')} = {qn('depth')} + %s" if depth else ""
        sql = (
            f"UPDATE {qn(model._meta.db_table)} SET {col} = %s || SUBSTR({col}, %s){also} "
            f"WHERE {col} >= %s AND {col} < %s"
        )
        _PREFIX_SQL[key] = sql
    return sql


def move_prefix(model: type[models.Model], field: str, old: str, new: str, depth: int = 0) -> int:
    """``rewrite_prefix`` on every row of ``model`` (its base manager's table), as one
    statement prepared once; ``depth``: also add it to the ``depth`` column (tree nodes)."""
    connection = connections[model._default_manager.db]
    params: list = [new, len(old) + 1, *([depth] if depth else []), old, tree.path_end(old)]
    with connection.cursor() as cur:
        cur.execute(_prefix_sql(model, field, bool(depth), connection.vendor), params)
        return cur.rowcount


def lock(model: type[TreeNode], pk: int) -> TreeNode:
    return model.objects.select_for_update().get(pk=pk)


def node_insert(model: type[TreeNode], *, parent: TreeNode | None, **fields) -> TreeNode:
    """Insert a node under ``parent`` (locked), handing it the parent's next step.

    Call inside a transaction. Roots take the next free step at depth 1.
    """
    from dangjian.core.pinyin import initials

    if parent is not None:
        parent = lock(model, parent.pk)
        index = parent.next_child
        path = tree.child_path(parent.path, index)
        model.objects.filter(pk=parent.pk).update(
            next_child=models.F("next_child") + 1, child_count=models.F("child_count") + 1
        )
    else:
        roots = model.objects.select_for_update().filter(parent__isnull=True).order_by("-path")
        last = roots.values_list("path", flat=True).first()
        index = tree.decode_step(last) + 1 if last else 0
        path = tree.child_path("", index)
    fields.setdefault("pinyin", initials(fields.get("name", "")))
    fields.update(parent=parent, path=path, depth=tree.depth_of(path))
    return model.objects.create(**fields)


def node_move(node: TreeNode, new_parent: TreeNode, *, tree_name: str) -> tuple[str, str]:
    """Move ``node`` and its subtree under ``new_parent``; rewrite every stored copy and
    call every registered move hook (``register_move_hook``).

    Returns (old_path, new_path). Call inside a transaction; refuses a move under the node
    itself or one of its descendants.
    """
    model = type(node)
    node = lock(model, node.pk)
    new_parent = lock(model, new_parent.pk)
    if new_parent.path.startswith(node.path):
        raise tree.TreeError("不能移动到自身或其下级之下")
    old_parent_id = node.parent_id  # type: ignore[attr-defined]  # declared on the abstract FK
    old = node.path
    new = tree.child_path(new_parent.path, new_parent.next_child)
    if len(new) > len(old):  # only a move to a deeper place can overflow a path
        deepest = model.objects.filter(path__gte=old, path__lt=tree.path_end(old)).aggregate(
            n=models.Max(Length("path"))
        )["n"]
        if deepest - len(old) + len(new) > tree.PATH_MAX_LENGTH:
            raise tree.TreeError(tree.TOO_DEEP)
    model.objects.filter(pk=new_parent.pk).update(
        next_child=models.F("next_child") + 1, child_count=models.F("child_count") + 1
    )
    if old_parent_id:
        model.objects.filter(pk=old_parent_id).update(child_count=models.F("child_count") - 1)
    delta = tree.depth_of(new) - tree.depth_of(old)
    # The subtree's paths and depths in one UPDATE.
    move_prefix(model, "path", old, new, depth=delta)
    model.objects.filter(pk=node.pk).update(parent=new_parent)
    for copy_model, field in path_copies(tree_name):
        move_prefix(copy_model, field, old, new)
    for hook in _MOVE_HOOKS:
        hook(tree_name=tree_name, old=old, new=new)
    return old, new
