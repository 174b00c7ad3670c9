"""Orders: list, read, split, ship."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Query

from inventory_sync.api import mapping, models as m
from inventory_sync.api.paths import AccountIdPath, CursorQuery, IdPath
from inventory_sync.api.routing import BEARER, deps, doc, in_account, new_router, respond
from inventory_sync.errors import Unprocessable
from inventory_sync.services import orders

router = new_router()
TAGS = ["orders"]


@router.get("/v1/accounts/<account_id>/orders", tags=TAGS, security=BEARER, summary="List orders",
            description="`source`: a sales channel id, a portal id, or for a supplier the merchant account id.",
            responses=doc(200, m.OrderPage, "One page"))
def list_orders(account_id: AccountIdPath, source: Annotated[str | None, Query(max_length=128)] = None,
                status: Annotated[str | None, Query(max_length=64)] = None, cursor: CursorQuery = None,
                limit: Annotated[int, Query(ge=1, le=1000)] = 100):
    in_account(router, account_id)
    page = orders.list_orders(deps(), account_id, source or None, status or None, cursor, limit)
    return respond(200, m.OrderPage(items=[mapping.order_out(o) for o in page.items], next_cursor=page.next_cursor))


@router.get("/v1/accounts/<account_id>/orders/<order_id>", tags=TAGS, security=BEARER, summary="One order",
            responses=doc(200, m.OrderOut, "The order"))
def get_order(account_id: AccountIdPath, order_id: IdPath):
    in_account(router, account_id)
    return respond(200, mapping.order_out(orders.get_order(deps(), account_id, order_id)))


@router.post("/v1/accounts/<account_id>/orders/<order_id>/split", tags=TAGS, security=BEARER,
             summary="Split an order by groups of line ids (a supplier's split reaches the merchant)",
             description="The first group stays in the order; each further group becomes {order_id}-{n}.",
             responses=doc(201, m.SplitOut, "The order ids, the original first"))
def split_order(account_id: AccountIdPath, order_id: IdPath, body: Annotated[m.SplitIn, Body()]):
    in_account(router, account_id)
    order_ids = orders.split_order(deps(), account_id, order_id, body.groups)
    return respond(201, m.SplitOut(order_ids=order_ids))


@router.post("/v1/accounts/<account_id>/orders/<order_id>/shipments", tags=TAGS, security=BEARER,
             summary="Record a shipment; relayed to the merchant and its channel",
             description="Idempotent: the Idempotency-Key header or idempotency_key field, else a hash of the "
                         "request. A replay answers the recorded shipment again.",
             responses=doc(201, m.ShipmentOut, "The shipment"))
def create_shipment(account_id: AccountIdPath, order_id: IdPath, body: Annotated[m.ShipmentIn, Body()],
                    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=255)] = None
                    ):
    in_account(router, account_id)
    if idempotency_key and body.idempotency_key and idempotency_key != body.idempotency_key:
        raise Unprocessable("the Idempotency-Key header and idempotency_key differ", field="idempotency_key",
                            code="conflicting_keys")
    shipment, replayed = orders.create_shipment(deps(), account_id, order_id, mapping.shipment_request_from(body),
                                                body.idempotency_key or idempotency_key or None)
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return respond(201, mapping.shipment_out(shipment), headers=headers)
