"""Sync Now, sync runs and sync history."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from inventory_sync.api import mapping, models as m
from inventory_sync.api.paths import AccountIdPath, CursorQuery, IdPath
from inventory_sync.api.routing import BEARER, deps, doc, in_account, new_router, respond
from inventory_sync.services import catalog

router = new_router()
TAGS = ["sync"]


@router.post("/v1/accounts/<account_id>/sync", tags=TAGS, security=BEARER,
             summary="Sync Now: push the listed / filtered / whole catalog, irrespective of sync policy",
             responses=doc(202, m.RunIdOut, "The run"))
def sync_now(account_id: AccountIdPath, body: Annotated[m.SyncIn | None, Body()] = None):
    in_account(router, account_id)
    body = body or m.SyncIn()
    product_filter = mapping.filter_from(body.filter_)
    catalog.check_sync_request(deps(), account_id, body.skus, product_filter)
    from inventory_sync.services.sync import start_sync  # the run fan-out, loaded on use

    run_id = start_sync(deps(), account_id, kind="sync_now", skus=body.skus,
                        filter=None if product_filter is None else product_filter.as_dict(),
                        channel_ids=body.channel_ids)
    return respond(202, m.RunIdOut(run_id=run_id))


@router.get("/v1/accounts/<account_id>/sync-runs", tags=TAGS, security=BEARER, summary="Runs, newest first",
            responses=doc(200, m.RunPage, "The newest runs"))
def list_runs(account_id: AccountIdPath, limit: Annotated[int, Query(ge=1, le=100)] = 20):
    in_account(router, account_id)
    runs = catalog.list_runs(deps(), account_id, limit)
    return respond(200, m.RunPage(items=[mapping.run_out(r) for r in runs], next_cursor=None))


@router.get("/v1/accounts/<account_id>/sync-runs/<run_id>", tags=TAGS, security=BEARER, summary="One run",
            responses=doc(200, m.RunOut, "The run"))
def get_run(account_id: AccountIdPath, run_id: IdPath):
    in_account(router, account_id)
    return respond(200, mapping.run_out(catalog.get_run(deps(), account_id, run_id)))


@router.get("/v1/accounts/<account_id>/sync-history", tags=TAGS, security=BEARER,
            summary="What was pushed (or not) and why, newest first",
            description="Filters apply within a page: a page may hold fewer items than `limit` and still "
                        "have a next_cursor.",
            responses=doc(200, m.HistoryPage, "One page"))
def sync_history(account_id: AccountIdPath, sku: Annotated[str | None, Query(max_length=255)] = None,
                 channel_id: Annotated[str | None, Query(max_length=128)] = None,
                 cursor: CursorQuery = None, limit: Annotated[int, Query(ge=1, le=1000)] = 100):
    in_account(router, account_id)
    page = catalog.sync_history(deps(), account_id, sku or None, channel_id or None, cursor, limit)
    return respond(200, m.HistoryPage(items=[mapping.history_out(h) for h in page.items],
                                      next_cursor=page.next_cursor))
