"""Stock changes: every accepted change is stored, and the stream triggers the sync."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from inventory_sync.api import mapping, models as m
from inventory_sync.api.paths import AccountIdPath
from inventory_sync.api.routing import BEARER, deps, doc, in_account, new_router, respond
from inventory_sync.services import catalog

router = new_router()


@router.post("/v1/accounts/<account_id>/stock-changes", tags=["stock"], security=BEARER,
             summary="Apply up to 1,000 stock changes (set or adjust on hand)",
             description="Warehouses must exist. A SKU without a product gets one (named after the SKU). "
                         "A change whose idempotency_key was applied before is not applied again.",
             responses=doc(202, m.AcceptedOut, "Accepted"))
def post_stock_changes(account_id: AccountIdPath, body: Annotated[m.StockChangesIn, Body()]):
    in_account(router, account_id)
    accepted = catalog.apply_stock_changes(deps(), account_id, mapping.stock_changes_from(body))
    return respond(202, m.AcceptedOut(accepted=accepted))
