"""Portals (supplier <-> merchant) and importing the merchant's products into the supplier."""

from __future__ import annotations

import pytest

PORTAL = {"portal_id": "p1", "supplier_account_id": "s1", "merchant_account_id": "m1"}


def test_a_portal_links_the_accounts_and_creates_the_merchant_warehouse(world, api):
    answer = api.post("/v1/portals", PORTAL)
    assert answer.status == 201
    assert answer.body == {**PORTAL, "write_inventory": True, "sync_interval_minutes": 60,
                           "only_fulfilled_products": True, "merchant_warehouse_id": "portal-p1",
                           "products_imported": False, "imported_at": None}
    warehouses = {w["warehouse_id"]: w for w in api.get("/v1/accounts/m1/warehouses").body["items"]}
    assert warehouses["portal-p1"]["portal_id"] == "p1" and warehouses["portal-p1"]["include_in_combined"] is True


def test_a_portal_may_name_its_merchant_warehouse(world, api):
    answer = api.post("/v1/portals", {**PORTAL, "merchant_warehouse_id": "acme-stock", "write_inventory": False})
    assert answer.body["merchant_warehouse_id"] == "acme-stock" and answer.body["write_inventory"] is False
    warehouse = [w for w in api.get("/v1/accounts/m1/warehouses").body["items"] if w["warehouse_id"] == "acme-stock"]
    assert warehouse[0]["portal_id"] == "p1"


def test_a_merchant_cannot_unlink_the_portal_warehouse_by_putting_it(world, api):
    api.post("/v1/portals", PORTAL)
    answer = api.put("/v1/accounts/m1/warehouses/portal-p1", {"name": "renamed", "include_in_combined": False})
    assert answer.status == 200 and answer.body["portal_id"] == "p1" and answer.body["include_in_combined"] is False


@pytest.mark.parametrize("change,status,field", [
    ({"supplier_account_id": "m2"}, 422, "supplier_account_id"),
    ({"supplier_account_id": "ghost"}, 422, "supplier_account_id"),
    ({"merchant_account_id": "s1"}, 422, "merchant_account_id"),
    ({"merchant_account_id": "ghost"}, 422, "merchant_account_id"),
    ({"merchant_warehouse_id": "w1"}, 409, "merchant_warehouse_id"),
    ({"portal_id": "bad id"}, 422, "portal_id"),
    ({"sync_interval_minutes": "60"}, 422, "sync_interval_minutes"),
    ({"merchant_account_id": None}, 422, "merchant_account_id"),
])
def test_a_bad_portal_is_refused_and_stores_nothing(world, api, table_items, change, status, field):
    before = table_items()
    answer = api.post("/v1/portals", {**PORTAL, **change})
    assert answer.status == status and answer.error["field"] == field, answer.body
    assert table_items() == before


def test_an_existing_portal_id_is_a_conflict(world, api, table_items):
    api.post("/v1/portals", PORTAL)
    before = table_items()
    answer = api.post("/v1/portals", {**PORTAL, "merchant_warehouse_id": "other"})
    assert answer.status == 409 and answer.error["field"] == "portal_id"
    assert table_items() == before


def test_either_party_may_read_a_portal_and_nobody_else(world, api):
    api.post("/v1/portals", PORTAL)
    assert api.get("/v1/portals/p1", token=world.supplier_token).status == 200
    assert api.get("/v1/portals/p1", token=world.merchant_token).status == 200
    assert api.get("/v1/portals/p1", token=world.other_token).status == 404
    assert api.get("/v1/portals/nope").status == 404


@pytest.fixture
def portal(world, api):
    """Given portal p1 and merchant m1 with CAP-1, CAP-2 assigned to s1 and BAG-1 not; s1 already
    holds CAP-1 under its own name with 5 on hand."""
    api.post("/v1/portals", PORTAL)
    api.put("/v1/accounts/m1/products/CAP-1", {"name": "Cap (m1)", "supplier_account_id": "s1", "tags": ["hat"]})
    api.put("/v1/accounts/m1/products/CAP-2", {"name": "Cap 2 (m1)", "supplier_account_id": "s1", "tags": ["hat"]})
    api.put("/v1/accounts/m1/products/BAG-1", {"name": "Bag (m1)"})
    api.put("/v1/accounts/s1/products/CAP-1", {"name": "Cap (s1's own)"})
    api.post("/v1/accounts/s1/stock-changes", {"changes": [
        {"sku": "CAP-1", "warehouse_id": "sw", "op": "set", "quantity": 5, "reason": "receipt"}]})
    return api


def test_import_copies_the_assigned_products_and_keeps_the_suppliers_own(world, portal):
    answer = portal.post("/v1/portals/p1/import-products", token=world.supplier_token)
    assert answer.status == 202
    products = {p["sku"]: p for p in portal.get("/v1/accounts/s1/products").body["items"]}
    assert set(products) == {"CAP-1", "CAP-2"}
    assert products["CAP-2"]["name"] == "Cap 2 (m1)" and products["CAP-2"]["tags"] == ["hat"]
    assert products["CAP-2"]["imported_from_portal"] == "p1"
    assert products["CAP-1"]["name"] == "Cap (s1's own)" and products["CAP-1"]["imported_from_portal"] == "p1"
    assert portal.get("/v1/accounts/s1/products/CAP-1").body["stock"]["sw"]["on_hand"] == 5
    run = portal.get(f"/v1/accounts/s1/sync-runs/{answer.body['run_id']}", token=world.supplier_token).body
    assert run["kind"] == "bulk" and run["status"] == "success" and run["counts"]["products"] == 2
    record = portal.get("/v1/portals/p1").body
    assert record["products_imported"] is True and record["imported_at"]


def test_importing_again_changes_nothing_more(world, portal):
    portal.post("/v1/portals/p1/import-products", token=world.supplier_token)
    first = portal.get("/v1/accounts/s1/products").body
    assert portal.post("/v1/portals/p1/import-products", token=world.supplier_token).status == 202
    assert portal.get("/v1/accounts/s1/products").body == first


def test_only_the_supplier_imports(world, portal, table_items):
    before = table_items()
    assert portal.post("/v1/portals/p1/import-products", token=world.merchant_token).status == 403
    assert portal.post("/v1/portals/p1/import-products", token=world.other_token).status == 404
    assert portal.post("/v1/portals/nope/import-products", token=world.supplier_token).status == 404
    assert table_items() == before
