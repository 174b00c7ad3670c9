"""Accounts, tokens and warehouses."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from inventory_sync.api import mapping, models as m
from inventory_sync.api.auth import hash_token, new_token, require_platform
from inventory_sync.api.paths import AccountIdPath, IdPath
from inventory_sync.api.routing import BEARER, caller, deps, doc, in_account, new_router, respond
from inventory_sync.domain.model import Warehouse
from inventory_sync.errors import Unprocessable
from inventory_sync.services import catalog

router = new_router()
TAGS = ["accounts"]


@router.post("/v1/accounts", tags=TAGS, security=BEARER, summary="Create an account (platform token)",
             responses=doc(201, m.AccountOut, "Created"))
def create_account(body: Annotated[m.AccountIn, Body()]):
    require_platform(caller(router), "create accounts")
    account = catalog.create_account(deps(), mapping.account_from(body))
    return respond(201, mapping.account_out(account))


@router.get("/v1/accounts/<account_id>", tags=TAGS, security=BEARER, summary="Read an account",
            responses=doc(200, m.AccountOut, "The account"))
def get_account(account_id: AccountIdPath):
    in_account(router, account_id)
    return respond(200, mapping.account_out(catalog.get_account(deps(), account_id)))


@router.patch("/v1/accounts/<account_id>", tags=TAGS, security=BEARER, summary="Update an account partially",
              responses=doc(200, m.AccountOut, "The updated account"))
def patch_account(account_id: AccountIdPath, body: Annotated[m.AccountPatch, Body()]):
    in_account(router, account_id)
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    for name, value in changes.items():
        if value is None:
            raise Unprocessable(f"{name} cannot be null", field=name, code="null_field")
    account = catalog.update_account(deps(), account_id, changes)
    return respond(200, mapping.account_out(account))


@router.post("/v1/accounts/<account_id>/tokens", tags=TAGS, security=BEARER,
             summary="Issue an account token (platform token); shown once, stored hashed",
             responses=doc(201, m.TokenOut, "The new token"))
def create_token(account_id: AccountIdPath):
    in_account(router, account_id)
    require_platform(caller(router), "issue tokens")
    token = new_token()
    catalog.issue_token(deps(), account_id, hash_token(token))
    return respond(201, m.TokenOut(token=token, account_id=account_id), headers={"Cache-Control": "no-store"})


@router.put("/v1/accounts/<account_id>/warehouses/<warehouse_id>", tags=TAGS, security=BEARER,
            summary="Create or replace a warehouse",
            responses={**doc(200, m.WarehouseOut, "Replaced"), **doc(201, m.WarehouseOut, "Created")})
def put_warehouse(account_id: AccountIdPath, warehouse_id: IdPath,
                  body: Annotated[m.WarehouseIn | None, Body()] = None):
    in_account(router, account_id)
    body = body or m.WarehouseIn()
    warehouse = Warehouse(warehouse_id, body.name if body.name is not None else warehouse_id,
                          include_in_combined=body.include_in_combined)
    stored, created = catalog.put_warehouse(deps(), account_id, warehouse)
    return respond(201 if created else 200, mapping.warehouse_out(stored))


@router.get("/v1/accounts/<account_id>/warehouses", tags=TAGS, security=BEARER,
            summary="List warehouses (in the order they were created)",
            responses=doc(200, m.WarehousePage, "The warehouses (one page)"))
def list_warehouses(account_id: AccountIdPath):
    in_account(router, account_id)
    items = [mapping.warehouse_out(w) for w in catalog.list_warehouses(deps(), account_id)]
    return respond(200, m.WarehousePage(items=items, next_cursor=None))
