"""Portals: a supplier linked to a merchant (platform token), and importing the merchant's products."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from inventory_sync.api import mapping, models as m
from inventory_sync.api.auth import Principal, require_platform
from inventory_sync.api.paths import IdPath
from inventory_sync.api.routing import BEARER, caller, deps, doc, new_router, respond
from inventory_sync.errors import Forbidden, NotFound
from inventory_sync.services import catalog

router = new_router()
TAGS = ["portals"]


def _visible_portal(principal: Principal, portal_id: str) -> catalog.PortalView:
    """The portal if the caller is the platform or one of its two accounts; 404 otherwise."""
    view = catalog.get_portal(deps(), portal_id)
    parties = (view.portal.supplier_account_id, view.portal.merchant_account_id)
    if not principal.platform and principal.account_id not in parties:
        raise NotFound(f"portal {portal_id} not found", field="portal_id")
    return view


@router.post("/v1/portals", tags=TAGS, security=BEARER,
             summary="Link a supplier to a merchant (platform token)",
             description="Creates the merchant's warehouse that holds the supplier's stock "
                         "(merchant_warehouse_id, default portal-{portal_id}).",
             responses=doc(201, m.PortalOut, "Created"))
def create_portal(body: Annotated[m.PortalIn, Body()]):
    require_platform(caller(router), "create portals")
    return respond(201, mapping.portal_out(catalog.create_portal(deps(), mapping.portal_from(body))))


@router.get("/v1/portals/<portal_id>", tags=TAGS, security=BEARER, summary="A portal (either party or platform)",
            responses=doc(200, m.PortalOut, "The portal"))
def get_portal(portal_id: IdPath):
    return respond(200, mapping.portal_out(_visible_portal(caller(router), portal_id)))


@router.post("/v1/portals/<portal_id>/import-products", tags=TAGS, security=BEARER,
             summary="Import the merchant's products assigned to this supplier (supplier's token)",
             responses=doc(202, m.RunIdOut, "The import run (in the supplier account)"))
def import_products(portal_id: IdPath):
    principal = caller(router)
    view = _visible_portal(principal, portal_id)
    if not principal.platform and principal.account_id != view.portal.supplier_account_id:
        raise Forbidden("only the supplier imports products through a portal")
    return respond(202, m.RunIdOut(run_id=catalog.import_products(deps(), view.portal)))
