"""The Babel extractor of our messages (babel.cfg, `make translations`): every string, and
every f-string as a `{placeholder}` template, written as an argument of a domain error, a
marshmallow ValidationError, the envelope or N_(), so a message is written once, where it is
raised, and never copied into a list for the translators."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import IO, Any

RAISERS = frozenset(
    {
        "DomainError",
        "BadRequest",
        "Unauthorized",
        "Forbidden",
        "NotFound",
        "Conflict",
        "PreconditionFailed",
        "PayloadTooLarge",
        "UnsupportedMediaType",
        "ValidationFailed",
        "TooManyRequests",
        "ServiceUnavailable",
        "envelope",
        "N_",
    }
)
# Callees whose message is in one place only: marshmallow's ValidationError(message,
# field_name) and the validators' `error=`.
FIRST_ONLY = frozenset({"ValidationError"})
ERROR_KEYWORD = frozenset({"Regexp", "Length", "OneOf", "Range", "Equal", "ContainsOnly"})
# Variables that collect field messages before they are raised: `errors[field] = [...]`,
# `problems.append(...)`, `problem = f"..."`.
HOLDERS = frozenset({"errors", "problems", "messages", "problem", "message"})
# Keyword arguments that carry no message.
_NOT_MESSAGES = frozenset({"headers", "field_name", "data", "valid_data"})


def template(node: ast.AST) -> str | None:
    """A string literal as it is; an f-string (or a `+` of strings) with each {expression}
    named: the variable's name, or v1, v2... for other expressions (app/i18n.py matches the
    answered text against it)."""
    return _template(node, [0]) if _is_text(node) else None


def _is_text(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _is_text(node.left) or _is_text(node.right)
    return False


def _template(node: ast.AST, unnamed: list[int]) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts: list[str] = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value).replace("{", "{{").replace("}", "}}"))
            elif isinstance(value, ast.FormattedValue):
                parts.append(_template(value.value, unnamed))
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and _is_text(node):
        return _template(node.left, unnamed) + _template(node.right, unnamed)
    if isinstance(node, ast.Name):
        return "{" + node.id + "}"
    unnamed[0] += 1
    return f"{{v{unnamed[0]}}}"


def _messages_in(node: ast.AST) -> Iterator[tuple[int, str]]:
    text = template(node)
    if text is not None:
        if any(char.isalpha() for char in text):
            yield getattr(node, "lineno", 0), text
        return
    if isinstance(node, ast.Dict):
        for value in node.values:
            yield from _messages_in(value)
        return
    if isinstance(node, ast.IfExp):  # the condition is no message
        yield from _messages_in(node.body)
        yield from _messages_in(node.orelse)
        return
    if isinstance(node, ast.Call | ast.Compare | ast.Subscript):
        return  # a nested call is visited on its own; comparisons and keys are no messages
    for child in ast.iter_child_nodes(node):
        yield from _messages_in(child)


def _callee(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _holder(target: ast.AST) -> bool:
    if isinstance(target, ast.Subscript):
        target = target.value
    return isinstance(target, ast.Name) and target.id in HOLDERS


def _held(node: ast.AST) -> Iterator[tuple[int, str]]:
    """Messages put into a HOLDERS variable, by assignment or by append/extend."""
    if isinstance(node, ast.Assign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if node.value is not None and any(_holder(t) for t in targets):
            yield from _messages_in(node.value)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        owner = node.func.value
        if isinstance(owner, ast.Call) and isinstance(owner.func, ast.Attribute):
            owner = owner.func.value  # errors.setdefault(field, []).append(...)
        if node.func.attr in ("append", "extend") and _holder(owner):
            for arg in node.args:
                yield from _messages_in(arg)


def messages(source: str) -> Iterator[tuple[int, str]]:
    for node in ast.walk(ast.parse(source)):
        yield from _held(node)
        if not isinstance(node, ast.Call):
            continue
        callee = _callee(node)
        if callee in FIRST_ONLY and node.args:
            yield from _messages_in(node.args[0])
        if callee in ERROR_KEYWORD:
            for keyword in node.keywords:
                if keyword.arg == "error":
                    yield from _messages_in(keyword.value)
        if callee not in RAISERS:
            continue
        for arg in node.args:
            yield from _messages_in(arg)
        for keyword in node.keywords:
            if keyword.arg not in _NOT_MESSAGES:
                yield from _messages_in(keyword.value)


def extract(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: dict[str, Any]
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """Babel's extractor interface: (line, function, message, comments)."""
    source = fileobj.read().decode(options.get("encoding", "utf-8"))
    seen: set[str] = set()
    for lineno, text in sorted(messages(source)):
        if text not in seen:
            seen.add(text)
            yield lineno, None, text, []
