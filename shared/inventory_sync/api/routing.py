"""What every route module shares: the caller, the composition root, answers and their docs."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import BaseModel

from inventory_sync.api.auth import Principal, require_account

BEARER = [{"bearerAuth": []}]


def new_router() -> APIGatewayRouter:
    return APIGatewayRouter()


def caller(router: APIGatewayRouter) -> Principal:
    """Set by the handler before routing (it authenticates every /v1 request first)."""
    return router.context["principal"]


def in_account(router: APIGatewayRouter, account_id: str) -> Principal:
    principal = caller(router)
    require_account(principal, account_id)
    return principal


def deps() -> Any:
    from inventory_sync.wiring import deps as build

    return build()


def respond(status: int, model: BaseModel | None = None, headers: dict[str, str] | None = None) -> Response:
    body = None if model is None else model.model_dump_json(by_alias=True)
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body,
                    headers=headers or {})


def doc(status: int, model: type[BaseModel], description: str) -> dict[int, dict]:
    """The `responses=` of a route: its success answer, documented with its model."""
    return {status: {"description": description, "content": {"application/json": {"model": model}}}}
