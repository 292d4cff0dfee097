"""The refusals a route's services can answer, read from their code (issue 19).

A write route refuses valid input on business rules: a full order (409), a move its state does
not allow (409), more points than the balance (422 on the field). The OpenAPI document lists
them per route (``dangjian.api``), from the one place they are written: the services' own
``raise`` statements. ``route_refusals(view)`` reads the view function and every function of
the project it calls, transitively (a name or a module attribute resolved in the function's
globals; a ``core.workflow.Flow`` it names brings its clean, guards, effects and state check),
and collects each refusal written there:

- ``ValidationError("…")`` / ``ValidationError({"field": ["…"]})`` and ``field_error(field,
  "…")``, ``errors.add(field, "…")`` (``core.validation.Errors``): a 422 on the field;
- ``Conflict("…")`` and a guard's ``Refusal(rule, "…")``, a flow's state message: a 409.

A message built at run time keeps its fixed text, each filled-in part read as "…"
(``f"订单已满员（需要{n}人）"`` is documented as ``订单已满员（需要…人）``); ``Documented.matches``
tells whether an answer's message is one of them. A message held in a variable or computed by
a call is not seen, nor a method called on an object (``order.accept()``): the list is what the
code says where it says it, never prose written per route. The kernel reads app code only
through the functions it is handed.
"""

from __future__ import annotations

import ast
import builtins
import functools
import inspect
import re
import textwrap
import types
from dataclasses import dataclass

from dangjian.core import workflow

HOLE = "…"
INVARIANT = "# invariant"
ALL = "__all__"
PACKAGE = "dangjian."
_PERCENT = re.compile(r"%(\([^)]*\))?[sdif]")
_GETTEXT = {"_", "gettext", "gettext_lazy", "ngettext", "pgettext"}


@dataclass(frozen=True, order=True)
class Documented:
    """One refusal a route can answer: its status, the field it names (``__all__`` for the
    request as a whole, ``…`` when the code computes it) and its Chinese message."""

    status: int
    field: str
    message: str

    @functools.cached_property
    def _pattern(self) -> re.Pattern:
        parts = [re.escape(p) for p in self.message.split(HOLE)]
        return re.compile(".*?".join(parts), re.S)

    def matches(self, message: str) -> bool:
        return self._pattern.fullmatch(message) is not None

    def as_dict(self) -> dict:
        return {"field": self.field, "message": self.message}


@functools.cache
def _module(filename: str) -> tuple[dict[int, ast.AST], tuple[str, ...]]:
    """A source file's functions by first line (their first decorator's, as the code object
    counts it) and its lines; parsed once."""
    try:
        with open(filename, encoding="utf-8") as f:
            source = f.read()
        tree = ast.parse(source)
    except (OSError, SyntaxError, ValueError):
        return {}, ()
    nodes: dict[int, ast.AST] = {}
    # Functions are statements: only statement bodies are searched (a lambda is not indexed).
    todo: list[ast.AST] = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            nodes.setdefault(first, node)
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            children = getattr(node, name, None)
            if isinstance(children, list):
                todo += [
                    c
                    for c in children
                    if isinstance(c, ast.stmt | ast.excepthandler | ast.match_case)
                ]
    return nodes, tuple(source.splitlines())


@functools.cache
def _file_lines(filename: str) -> tuple[str, ...]:
    try:
        with open(filename, encoding="utf-8") as f:
            return tuple(f.read().splitlines())
    except (OSError, ValueError):
        return ()


def _last_line(code: types.CodeType) -> int:
    """The last source line of ``code`` and of the functions defined in it."""
    last = max((end for _, end, _, _ in code.co_positions() if end), default=code.co_firstlineno)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            last = max(last, _last_line(const))
    return last


def _source(func: types.FunctionType) -> tuple[ast.AST | None, tuple[str, ...]]:
    """``func``'s syntax tree and source lines (None when its source cannot be read): its own
    lines parsed (about a tenth of its module's), else its module's."""
    code = func.__code__
    lines = _file_lines(code.co_filename)
    segment = lines[code.co_firstlineno - 1 : _last_line(code)]
    if segment:
        text = textwrap.dedent("\n".join(segment))
        try:
            tree = ast.parse(text)
        except SyntaxError:
            tree = None
        if (
            tree is not None
            and tree.body
            and isinstance(tree.body[0], ast.FunctionDef | ast.AsyncFunctionDef)
        ):
            return tree.body[0], tuple(text.splitlines())
    nodes, all_lines = _module(code.co_filename)
    return nodes.get(code.co_firstlineno), all_lines


def _source_tree(func: types.FunctionType) -> ast.AST | None:
    return _source(func)[0]


def _invariant(node: ast.expr, lines: tuple[str, ...]) -> bool:
    """A raise marked ``# invariant`` (on its lines, or a comment line just above) guards the
    program's own consistency (a ledger entry that does not balance), not a user's input: not
    a refusal a route documents."""
    first, last = node.lineno, getattr(node, "end_lineno", node.lineno) or node.lineno
    above = lines[first - 2].strip() if first >= 2 else ""
    if above.startswith("#") and INVARIANT in above:
        return True
    return any(INVARIANT in line for line in lines[first - 1 : last])


def _own(obj) -> types.FunctionType | None:
    """``obj`` as a function of the project (unwrapped), else None."""
    if isinstance(obj, staticmethod | classmethod):
        obj = obj.__func__
    try:
        obj = inspect.unwrap(obj)
    except ValueError:
        return None
    if isinstance(obj, types.MethodType):
        obj = obj.__func__
    if isinstance(obj, types.FunctionType) and (obj.__module__ or "").startswith(PACKAGE):
        return obj
    return None


def _lookup(name: str, func: types.FunctionType):
    code = func.__code__
    if name in code.co_freevars and func.__closure__:
        try:
            return func.__closure__[code.co_freevars.index(name)].cell_contents
        except ValueError:
            return None
    if name in func.__globals__:
        return func.__globals__[name]
    return getattr(builtins, name, None)


def _resolve(node: ast.AST, func: types.FunctionType):
    """The object a name or a dotted name stands for in ``func`` (modules, classes and flows
    only are looked into), else None."""
    if isinstance(node, ast.Name):
        return _lookup(node.id, func)
    if isinstance(node, ast.Attribute):
        base = _resolve(node.value, func)
        if isinstance(base, types.ModuleType):
            return getattr(base, node.attr, None)
        if isinstance(base, type):
            try:
                return inspect.getattr_static(base, node.attr)
            except AttributeError:
                return None
        if isinstance(base, workflow.Flow):
            return getattr(base, node.attr, None)
    return None


def _callee_name(node: ast.Call) -> str:
    f = node.func
    if isinstance(f, ast.Name):
        return f.id
    if isinstance(f, ast.Attribute):
        return f.attr
    return ""


def _receiver_name(node: ast.Call) -> str:
    f = node.func
    if isinstance(f, ast.Attribute):
        v = f.value
        if isinstance(v, ast.Name):
            return v.id
        if isinstance(v, ast.Attribute):
            return v.attr
    return ""


def _texts(node: ast.AST | None, func: types.FunctionType) -> list[str]:
    """The message(s) an expression writes, each filled-in part as ``HOLE``."""
    if node is None:
        return []
    if isinstance(node, ast.Constant):
        if not isinstance(node.value, str) or not node.value:
            return []
        return [_PERCENT.sub(HOLE, node.value)]  # a message's %(name)s parameters
    if isinstance(node, ast.JoinedStr):
        text = "".join(
            v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else HOLE
            for v in node.values
        )
        return [text] if text.strip(HOLE) else []
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):  # "…%s" % value
        return [_PERCENT.sub(HOLE, t) for t in _texts(node.left, func)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _texts(node.left, func), _texts(node.right, func)
        text = (left[0] if left else HOLE) + (right[0] if right else HOLE)
        return [text] if text.strip(HOLE) else []
    if isinstance(node, ast.IfExp):
        return _texts(node.body, func) + _texts(node.orelse, func)
    if isinstance(node, ast.List | ast.Tuple):
        return [t for e in node.elts for t in _texts(e, func)]
    if isinstance(node, ast.Name):
        value = _lookup(node.id, func)
        return [value] if isinstance(value, str) and value else []
    if isinstance(node, ast.Attribute):
        value = _resolve(node, func)
        return [value] if isinstance(value, str) and value else []
    if isinstance(node, ast.Call):
        name = _callee_name(node)
        if name in _GETTEXT and node.args:
            return _texts(node.args[0], func)
        if name == "ValidationError" and node.args:
            return _texts(node.args[0], func)
        if (
            name == "format"
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Constant)
            and isinstance(node.func.value.value, str)
        ):
            return [re.sub(r"\{[^{}]*\}", HOLE, node.func.value.value)]
    return []


def _field(node: ast.AST | None, func: types.FunctionType) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value or ALL
    if isinstance(node, ast.Name):
        value = _lookup(node.id, func)
        if isinstance(value, str):
            return value
    return HOLE


def _arg(node: ast.Call, index: int, keyword: str) -> ast.AST | None:
    if len(node.args) > index:
        return node.args[index]
    return next((k.value for k in node.keywords if k.arg == keyword), None)


def _is_errors(receiver: str, lists: set[str]) -> bool:
    return receiver.endswith("errors") or receiver in lists


def _error_lists(tree: ast.AST) -> set[str]:
    """The names a function gives its ``core.validation.Errors``: ``e = Errors()``, a
    parameter ``e: Errors``."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            if _callee_name(node.value) == "Errors":
                names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.arg) and node.annotation is not None:
            note = node.annotation
            named = note.id if isinstance(note, ast.Name) else getattr(note, "attr", "")
            if named == "Errors" or (isinstance(note, ast.Constant) and note.value == "Errors"):
                names.add(node.arg)
    return names


def _from_call(node: ast.Call, func: types.FunctionType, lists: set[str]) -> list[Documented]:
    """The refusals one call writes (none when it writes no refusal)."""
    name = _callee_name(node)
    found: list[tuple[int, str, list[str]]] = []
    if name == "ValidationError":
        first = _arg(node, 0, "message")
        if isinstance(first, ast.Dict):
            for key, value in zip(first.keys, first.values, strict=True):
                found.append((422, _field(key, func), _texts(value, func)))
        else:
            found.append((422, ALL, _texts(first, func)))
    elif name == "field_error":
        found.append(
            (422, _field(_arg(node, 0, "field"), func), _texts(_arg(node, 1, "message"), func))
        )
    elif name == "add" and len(node.args) >= 2 and _is_errors(_receiver_name(node), lists):
        found.append((422, _field(node.args[0], func), _texts(node.args[1], func)))
    elif name in ("Conflict", "GuardRefused"):
        found.append((409, ALL, _texts(_arg(node, 0, "message"), func)))
    elif name == "Refusal":
        found.append((409, ALL, _texts(_arg(node, 1, "message"), func)))
    return [Documented(s, f, t) for s, f, texts in found for t in texts]


def _returned(func: types.FunctionType, status: int, field: str) -> list[Documented]:
    """The messages a message-making function returns (a flow's state message)."""
    tree = _source_tree(func)
    if tree is None:
        return []
    return [
        Documented(status, field, t)
        for node in ast.walk(tree)
        if isinstance(node, ast.Return)
        for t in _texts(node.value, func)
    ]


def _flow_parts(flow: workflow.Flow) -> tuple[list, list[Documented]]:
    """The functions a flow runs, and the refusals the flow itself words."""
    funcs: list = [flow.clean, flow.state_check, flow.save, *flow.effects.values()]
    funcs += [g for move in flow.actions.values() for g in move.guards]
    words: list[Documented] = []
    for maker, status, field in (
        (flow.state_message, 409, ALL),
        (flow.state_check, 409, ALL),
        (flow.unknown_message, 422, "action"),
    ):
        own = _own(maker) if maker is not None else None
        if own is not None:
            words += _returned(own, status, field)
    return [f for f in funcs if f is not None], words


def _named(obj, func, depth: int = 0) -> list:
    """The project functions ``obj`` is or holds: a table of them (a dict, list or tuple, two
    levels deep: ``{"rule": (Rule, _rule_fields, …)}``) counts as named."""
    if isinstance(obj, dict | list | tuple) and depth < 2 and len(obj) <= 100:
        values = obj.values() if isinstance(obj, dict) else obj
        return [n for v in values for n in _named(v, func, depth + 1)]
    target = _own(obj)
    return [target] if target is not None and target is not func else []


def _flows(obj, depth: int = 0) -> list[workflow.Flow]:
    """The flows ``obj`` is or holds (a table of flows, one per kind)."""
    if isinstance(obj, workflow.Flow):
        return [obj]
    if isinstance(obj, dict | list | tuple) and depth < 2 and len(obj) <= 100:
        values = obj.values() if isinstance(obj, dict) else obj
        return [f for v in values for f in _flows(v, depth + 1)]
    return []


def _run_flows(node: ast.Call, func: types.FunctionType) -> list[workflow.Flow]:
    """The flows a call of ``workflow.run`` moves (its first argument): a flow only named
    (its states, its allowed actions) refuses nothing."""
    if _resolve(node.func, func) is not workflow.run:
        return []
    first = _arg(node, 0, "flow")
    if first is None:
        return []
    return [
        f
        for sub in ast.walk(first)
        if isinstance(sub, ast.Name | ast.Attribute)
        for f in _flows(_resolve(sub, func))
    ]


@functools.cache
def _step(func: types.FunctionType) -> tuple[tuple[Documented, ...], tuple]:
    """``func``'s own refusals, and the project functions it names and flows it runs."""
    tree, lines = _source(func)
    if tree is None:
        return (), ()
    own: list[Documented] = []
    named: list = []
    lists = _error_lists(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if not _invariant(node, lines):
                own += _from_call(node, func, lists)
            named += _run_flows(node, func)
        if isinstance(node, ast.Name | ast.Attribute) and isinstance(node.ctx, ast.Load):
            named += _named(_resolve(node, func), func)
    unique = {id(n): n for n in named}
    return tuple(own), tuple(unique.values())


@functools.cache
def route_refusals(view) -> tuple[Documented, ...]:
    """Every refusal ``view`` and the project functions it calls write, sorted, once each."""
    start = _own(view)
    if start is None:
        return ()
    found: set[Documented] = set()
    seen: set = set()
    todo: list = [start]
    while todo:
        item = todo.pop()
        key = id(item)
        if key in seen:
            continue
        seen.add(key)
        if isinstance(item, workflow.Flow):
            funcs, words = _flow_parts(item)
            found.update(words)
            todo += [f for f in (_own(x) for x in funcs) if f is not None]
            continue
        own, named = _step(item)
        found.update(own)
        todo += named
    return tuple(sorted(found))
