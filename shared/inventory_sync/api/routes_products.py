"""Products: create/replace (bundles), read with stock and channel state, explain, list, bulk update."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from inventory_sync.api import mapping, models as m
from inventory_sync.api.paths import AccountIdPath, CursorQuery, SkuPath
from inventory_sync.api.routing import BEARER, deps, doc, in_account, new_router, respond
from inventory_sync.errors import Unprocessable
from inventory_sync.services import catalog

router = new_router()
TAGS = ["products"]

ListLimit = Annotated[int, Query(ge=1, le=1000, description="Page size")]


@router.put("/v1/accounts/<account_id>/products/<sku>", tags=TAGS, security=BEARER,
            summary="Create or replace a product (a bundle gets a 0 stock record at every warehouse)",
            responses={**doc(200, m.ProductOut, "Replaced"), **doc(201, m.ProductOut, "Created")})
def put_product(account_id: AccountIdPath, sku: SkuPath, body: Annotated[m.ProductIn, Body()]):
    in_account(router, account_id)
    product, created = catalog.put_product(deps(), account_id, mapping.product_from(sku, body))
    return respond(201 if created else 200, mapping.product_out(product))


@router.get("/v1/accounts/<account_id>/products/<sku>", tags=TAGS, security=BEARER,
            summary="A product with its stock per warehouse, totals and state on each channel",
            responses=doc(200, m.ProductDetailOut, "The product"))
def get_product(account_id: AccountIdPath, sku: SkuPath):
    in_account(router, account_id)
    return respond(200, mapping.product_detail_out(catalog.get_product_detail(deps(), account_id, sku)))


@router.get("/v1/accounts/<account_id>/products/<sku>/explain", tags=TAGS, security=BEARER,
            summary="How the quantity pushed to a channel is computed, step by step",
            responses=doc(200, m.ExplainOut, "The computation"))
def explain_product(account_id: AccountIdPath, sku: SkuPath,
                    channel_id: Annotated[str, Query(min_length=1, max_length=128)]):
    in_account(router, account_id)
    from inventory_sync.services.recompute import explain  # the quantity engine, loaded on use

    catalog.get_account(deps(), account_id)
    return respond(200, m.ExplainOut.model_validate(explain(deps(), account_id, sku, channel_id)))


@router.get("/v1/accounts/<account_id>/products", tags=TAGS, security=BEARER,
            summary="List products by SKU, filtered", responses=doc(200, m.ProductPage, "One page"))
def list_products(account_id: AccountIdPath,
                  prefix: Annotated[str | None, Query(max_length=255)] = None,
                  tag: Annotated[str | None, Query(max_length=100)] = None,
                  supplier_account_id: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9._-]{1,64}$")] = None,
                  sync_policy: Annotated[m.ProductSyncPolicy | None, Query()] = None,
                  cursor: CursorQuery = None, limit: ListLimit = 100):
    in_account(router, account_id)
    product_filter = catalog.ProductFilter(prefix=prefix or "", tag=tag or None,
                                           supplier_account_id=supplier_account_id, sync_policy=sync_policy)
    page = catalog.list_products(deps(), account_id, product_filter, cursor, limit)
    return respond(200, m.ProductPage(items=[mapping.product_out(p) for p in page.items],
                                      next_cursor=page.next_cursor))


@router.post("/v1/accounts/<account_id>/products:bulk-update", tags=TAGS, security=BEARER,
             summary="Set sync_policy / process_orders / auto_dropship on listed or filtered products",
             description="Applied before answering; recorded as a sync run of kind bulk. Changing a policy "
                         "pushes nothing by itself.",
             responses=doc(202, m.RunIdOut, "The bulk run"))
def bulk_update(account_id: AccountIdPath, body: Annotated[m.BulkUpdateIn, Body()]):
    in_account(router, account_id)
    changes = {name: getattr(body.set_, name) for name in sorted(body.set_.model_fields_set)}
    for name, value in changes.items():
        if value is None:
            raise Unprocessable(f"set.{name} cannot be null", field=f"set.{name}", code="null_field")
    run_id = catalog.bulk_update(deps(), account_id, changes, skus=body.skus,
                                 product_filter=mapping.filter_from(body.filter_))
    return respond(202, m.RunIdOut(run_id=run_id))
