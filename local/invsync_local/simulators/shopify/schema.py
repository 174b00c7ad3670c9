"""Where the Shopify Admin GraphQL 2026-07 schema lives, and one parsed copy of it per process.

The SDL is 3.8 MB; `graphql.build_schema` takes ~2.5 s on it (~1.5 s as built here), so it is parsed lazily on first use
(never at import time) and kept for the life of the process. Both the simulator and the tests that
validate the production client's documents go through `load_schema()`.

Location: the team handbook is the `shared` folder beside the project root
(`Path(repo_root).parent / "shared"`); `INVSYNC_SHOPIFY_SCHEMA` overrides the path.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from graphql import GraphQLSchema, build_ast_schema, parse

SCHEMA_ENV_VAR = "INVSYNC_SHOPIFY_SCHEMA"
SCHEMA_RELATIVE_PATH = Path("contracts/shopify/admin-graphql-2026-07/schema.graphql")

_lock = threading.Lock()
_cache: dict[Path, GraphQLSchema] = {}


def repo_root() -> Path:
    """The project root: the nearest ancestor of this file holding `pyproject.toml`."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").is_file() and (parent / "local").is_dir():
            return parent
    return here.parents[4]


def schema_path() -> Path:
    override = os.environ.get(SCHEMA_ENV_VAR)
    if override:
        return Path(override).expanduser().resolve()
    return repo_root().parent / "shared" / SCHEMA_RELATIVE_PATH


def load_schema(path: Path | None = None) -> GraphQLSchema:
    """The parsed schema, built once per process per path (thread-safe)."""
    path = (path or schema_path()).resolve()
    schema = _cache.get(path)
    if schema is not None:
        return schema
    with _lock:
        schema = _cache.get(path)
        if schema is None:
            if not path.is_file():
                raise FileNotFoundError(
                    f"Shopify schema not found at {path}; set {SCHEMA_ENV_VAR} to its location"
                )
            # No AST locations and no SDL re-validation: the file is a verbatim introspection dump,
            # and this takes ~40% of the time `build_schema` needs. Documents are still validated.
            document = parse(path.read_text(encoding="utf-8"), no_location=True)
            schema = build_ast_schema(document, assume_valid_sdl=True)
            _cache[path] = schema
        return schema
