"""The subset of Shopify's search syntax the simulator understands (`query:` arguments).

    sku:ABC-1                       exact (case-insensitive) match on a field
    sku:"A B" / sku:"A\\"B"         quoted values; backslash escapes `"` and `\\`
    sku:ABC*                        prefix match
    sku:A OR sku:B                  OR binds looser than AND
    sku:A AND title:shirt / a b     AND (explicit or implicit)
    NOT sku:A / -sku:A / ( ... )    negation and grouping
    shirt                           free text: substring of title or sku

Like Shopify, a filter on a field the resource does not support is ignored (it matches everything)
rather than rejected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

Record = Mapping[str, object]
Predicate = Callable[[Record], bool]


class SearchSyntaxError(ValueError):
    pass


@dataclass(frozen=True)
class _Tok:
    kind: str  # "(" ")" "term" "op"
    field: str | None = None
    value: str = ""
    quoted: bool = False
    negated: bool = False


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c in "()":
            toks.append(_Tok(kind=c))
            i += 1
            continue
        negated = False
        if c == "-" and i + 1 < n and not text[i + 1].isspace():
            negated = True
            i += 1
        # a term: [field:]value where value may be quoted
        start = i
        field: str | None = None
        while i < n and not text[i].isspace() and text[i] not in '()":':
            i += 1
        if i < n and text[i] == ":":
            field = text[start:i]
            i += 1
            start = i
        if i < n and text[i] == '"':
            i += 1
            buf = []
            while i < n and text[i] != '"':
                if text[i] == "\\" and i + 1 < n:
                    i += 1
                buf.append(text[i])
                i += 1
            if i >= n:
                raise SearchSyntaxError("unterminated quoted value")
            i += 1
            toks.append(_Tok("term", field, "".join(buf), quoted=True, negated=negated))
            continue
        while i < n and not text[i].isspace() and text[i] not in "()":
            i += 1
        value = text[start:i]
        if field is None and not negated and value in ("OR", "AND", "NOT"):
            toks.append(_Tok("op", value=value))
        else:
            toks.append(_Tok("term", field, value, negated=negated))
    return toks


def _match_value(actual: object, wanted: str, quoted: bool) -> bool:
    if actual is None:
        return False
    values = actual if isinstance(actual, (list, tuple, set)) else [actual]
    for v in values:
        text = str(v).lower()
        w = wanted.lower()
        if not quoted and w.endswith("*"):
            if text.startswith(w[:-1]):
                return True
        elif text == w:
            return True
    return False


def compile_query(text: str | None, fields: set[str], free_text: tuple[str, ...] = ("title", "sku")) -> Predicate:
    """Compile a Shopify search string into a predicate over a record (a mapping of field values)."""
    if text is None or not text.strip():
        return lambda r: True
    toks = _tokenize(text)
    pos = 0

    def peek() -> _Tok | None:
        return toks[pos] if pos < len(toks) else None

    def term_pred(t: _Tok) -> Predicate:
        if t.field is None:
            w = t.value.lower()

            def free(r: Record) -> bool:
                return any(w in str(r.get(f) or "").lower() for f in free_text)

            pred: Predicate = free
        elif t.field not in fields:
            pred = lambda r: True  # noqa: E731 - unsupported filters are ignored, as on Shopify
        else:
            fname, value, quoted = t.field, t.value, t.quoted
            pred = lambda r: _match_value(r.get(fname), value, quoted)  # noqa: E731
        if t.negated:
            inner = pred
            return lambda r: not inner(r)
        return pred

    def parse_or() -> Predicate:
        parts = [parse_and()]
        while (t := peek()) is not None and t.kind == "op" and t.value == "OR":
            advance()
            parts.append(parse_and())
        return parts[0] if len(parts) == 1 else (lambda r: any(p(r) for p in parts))

    def parse_and() -> Predicate:
        parts = [parse_unary()]
        while (t := peek()) is not None and t.kind != ")" and not (t.kind == "op" and t.value == "OR"):
            if t.kind == "op" and t.value == "AND":
                advance()
            parts.append(parse_unary())
        return parts[0] if len(parts) == 1 else (lambda r: all(p(r) for p in parts))

    def parse_unary() -> Predicate:
        t = peek()
        if t is None:
            raise SearchSyntaxError("unexpected end of query")
        if t.kind == "op" and t.value == "NOT":
            advance()
            inner = parse_unary()
            return lambda r: not inner(r)
        if t.kind == "(":
            advance()
            inner = parse_or()
            close = peek()
            if close is None or close.kind != ")":
                raise SearchSyntaxError("missing )")
            advance()
            return inner
        if t.kind == "term":
            advance()
            return term_pred(t)
        raise SearchSyntaxError(f"unexpected {t.kind} {t.value}")

    def advance() -> None:
        nonlocal pos
        pos += 1

    pred = parse_or()
    if pos != len(toks):
        raise SearchSyntaxError("unexpected trailing input")
    return pred
