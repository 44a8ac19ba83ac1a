"""A small, safe expression language for validation rules.

Expressions are parsed with Python's ``ast`` module and evaluated by walking
the tree; nothing is ever passed to ``eval``. Allowed: numbers, ``true`` /
``false`` / ``null``, indicator codes (the value of that indicator for the same
area and year), ``value`` (the value being checked), ``+ - * /``, comparisons
(chains too), ``and``, ``or``, ``not``, and the functions ``is_null(x)``,
``coalesce(x, y, ...)``, ``min(...)``, ``max(...)``, ``abs(x)``,
``prev(CODE)`` (last year's value; ``prev(value)`` for the checked indicator)
and ``children_sum(CODE)`` (sum over the area's sub-areas).

A missing value is null. Arithmetic or a comparison with null gives null, and
a rule whose check gives null is not applied, so missing data never fails a
rule by itself.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from dataclasses import dataclass

MAX_LENGTH = 500
# Evaluation recurses once or twice per level, so a deeper tree could exhaust
# Python's stack inside a request.
MAX_DEPTH = 50
FUNCTIONS = ("is_null", "coalesce", "min", "max", "abs", "prev", "children_sum")
CONSTANTS = {"true": True, "false": False, "null": None}
_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_COMPARE = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}


class ExpressionError(ValueError):
    """An expression uses something the language does not allow."""


@dataclass(frozen=True)
class Context:
    """How an expression reads values: by indicator code, this year or the last."""

    value: float | None
    lookup: Callable[[str], float | None]
    previous: Callable[[str], float | None]
    children_sum: Callable[[str], float | None]
    indicator: str


@dataclass(frozen=True)
class Expression:
    """A parsed expression and the indicator codes it reads."""

    text: str
    tree: ast.Expression
    names: frozenset[str]

    def evaluate(self, context: Context) -> object:
        return _Evaluator(context).visit(self.tree.body)


def parse_expression(text: str, known_codes: set[str]) -> Expression:
    """Parse and check an expression; raises ExpressionError naming the problem."""
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(
            f"syntax error at column {exc.offset}: {exc.msg}"
        ) from None
    if _depth(tree) > MAX_DEPTH:
        raise ExpressionError(f"expression nested deeper than {MAX_DEPTH} levels")
    names: set[str] = set()
    for node in ast.walk(tree):
        _check_node(node, known_codes, names)
    return Expression(text, tree, frozenset(names))


def _depth(tree: ast.AST) -> int:
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


_ALLOWED_NODES = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.BinOp,
    ast.UnaryOp,
    ast.USub,
    ast.UAdd,
    ast.Not,
    ast.Compare,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.Call,
    *_BINARY,
    *_COMPARE,
)


def _check_node(node: ast.AST, known_codes: set[str], names: set[str]) -> None:
    if not isinstance(node, _ALLOWED_NODES):
        raise ExpressionError(f"{type(node).__name__} is not allowed")
    if isinstance(node, ast.Constant) and not isinstance(node.value, int | float):
        raise ExpressionError(f"constant {node.value!r} is not a number")
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise ExpressionError(
                "only the functions " + ", ".join(FUNCTIONS) + " exist"
            )
        if node.keywords:
            raise ExpressionError("functions take no keyword arguments")
        takes_code = node.func.id in ("prev", "children_sum")
        if takes_code and (
            len(node.args) != 1 or not isinstance(node.args[0], ast.Name)
        ):
            raise ExpressionError(f"{node.func.id} takes one indicator code")
    if isinstance(node, ast.Name) and node.id not in FUNCTIONS:
        if node.id in CONSTANTS or node.id == "value":
            return
        if node.id not in known_codes:
            raise ExpressionError(f"{node.id} is not an indicator code")
        names.add(node.id)


class _Evaluator:
    def __init__(self, context: Context) -> None:
        self.context = context

    def visit(self, node: ast.AST) -> object:
        return getattr(self, f"_{type(node).__name__}")(node)

    def _Constant(self, node: ast.Constant) -> object:
        return node.value

    def _Name(self, node: ast.Name) -> object:
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        if node.id == "value":
            return self.context.value
        return self.context.lookup(node.id)

    def _UnaryOp(self, node: ast.UnaryOp) -> object:
        operand = self.visit(node.operand)
        if isinstance(node.op, ast.Not):
            return None if operand is None else not operand
        if operand is None:
            return None
        return -operand if isinstance(node.op, ast.USub) else +operand  # type: ignore[operator]

    def _BinOp(self, node: ast.BinOp) -> object:
        left, right = self.visit(node.left), self.visit(node.right)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Div) and right == 0:
            return None
        return _BINARY[type(node.op)](left, right)

    def _Compare(self, node: ast.Compare) -> object:
        left = self.visit(node.left)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self.visit(comparator)
            if left is None or right is None:
                return None
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True

    def _BoolOp(self, node: ast.BoolOp) -> object:
        values = [self.visit(item) for item in node.values]
        if isinstance(node.op, ast.And):
            if any(v is False for v in values):
                return False
            return None if any(v is None for v in values) else True
        if any(v is True for v in values):
            return True
        return None if any(v is None for v in values) else False

    def _Call(self, node: ast.Call) -> object:
        name = node.func.id  # type: ignore[attr-defined]
        if name in ("prev", "children_sum"):
            code = node.args[0].id  # type: ignore[attr-defined]
            code = self.context.indicator if code == "value" else code
            read = (
                self.context.previous if name == "prev" else self.context.children_sum
            )
            return read(code)
        args = [self.visit(arg) for arg in node.args]
        if name == "is_null":
            return args[0] is None if args else True
        if name == "coalesce":
            return next((arg for arg in args if arg is not None), None)
        present = [arg for arg in args if arg is not None]
        if name == "abs":
            return abs(args[0]) if args and args[0] is not None else None  # type: ignore[arg-type]
        if not present:
            return None
        return min(present) if name == "min" else max(present)  # type: ignore[type-var]
