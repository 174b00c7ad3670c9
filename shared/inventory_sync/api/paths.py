"""Ids and SKUs as they arrive in a request path.

API Gateway REST hands the path over still percent-encoded; WSGI servers (the local runtime) and
HTTP APIs hand it over decoded. A segment that is a well-formed encoded segment is decoded; one
that holds a character an encoded path cannot hold (a space, `#`, `?`, `"`, a lone `%`...) is
taken as decoded already. Only a decoded SKU that itself looks encoded (`A%41`) is ambiguous:
such a SKU has to be sent encoded (`A%2541`), as every client does.

Before routing, the path is rewritten in one canonical encoded form, so the router's segment
pattern matches any SKU; the path parameters below decode it again and validate it.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import quote, unquote

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import AfterValidator

ID_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
SKU_MAX_LENGTH = 255

_ID = re.compile(ID_PATTERN)
_ENCODED_SEGMENT = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})*")
# what the Powertools router matches inside a path parameter besides word characters and %XX
_ROUTER_SAFE = "-._~()'!*:@,;=+&$"


def decode_segment(segment: str) -> str:
    if not _ENCODED_SEGMENT.fullmatch(segment):
        return segment
    try:
        return unquote(segment, errors="strict")
    except UnicodeDecodeError:
        return segment


def canonical_path(path: str) -> str:
    """The path with every segment decoded (when encoded) and re-encoded one way."""
    return "/".join(quote(decode_segment(s), safe=_ROUTER_SAFE) for s in path.split("/"))


def check_id(value: str) -> str:
    if not _ID.fullmatch(value):
        raise ValueError("must be 1 to 64 characters of A-Z a-z 0-9 . _ -")
    return value


def check_sku(value: str) -> str:
    if not value:
        raise ValueError("must not be empty")
    if len(value) > SKU_MAX_LENGTH:
        raise ValueError(f"must be at most {SKU_MAX_LENGTH} characters")
    if "/" in value or not value.isprintable():
        raise ValueError("may hold any printable character except '/'")
    return value


def _path_sku(value: str) -> str:
    return check_sku(unquote(value))


_SKU_DOC = "Any printable characters except '/', URL-encoded"

AccountIdPath = Annotated[str, Path(pattern=ID_PATTERN, description="The account's id"), AfterValidator(check_id)]
IdPath = Annotated[str, Path(pattern=ID_PATTERN, description="A caller-chosen id"), AfterValidator(check_id)]
SkuPath = Annotated[str, Path(description=_SKU_DOC), AfterValidator(_path_sku)]
CursorQuery = Annotated[str | None, Query(description="next_cursor of the previous page", max_length=2048)]
