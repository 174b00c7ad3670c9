"""Products: PUT (defaults, bundles), GET (stock, totals, channels), explain, list, bulk update."""

from __future__ import annotations

from urllib.parse import quote

import pytest

PRODUCT_DEFAULTS = {"sync_policy": "customer_default", "process_orders": True, "bundle": None,
                    "supplier_account_id": None, "auto_dropship": False, "aliases": {}, "tags": [],
                    "imported_from_portal": None}


def stock(api, account_id, *changes):
    body = {"changes": [{"sku": s, "warehouse_id": w, "op": "set", "quantity": q, "reason": "receipt"}
                        for s, w, q in changes]}
    assert api.post(f"/v1/accounts/{account_id}/stock-changes", body).status == 202


def test_a_product_takes_the_documented_defaults(world, api):
    answer = api.put("/v1/accounts/m1/products/TEE-1", {"name": "Tee"}, token=world.merchant_token)
    assert answer.status == 201
    assert answer.body == {"sku": "TEE-1", "name": "Tee", **PRODUCT_DEFAULTS}


def test_a_second_put_replaces_the_whole_product(world, api):
    api.put("/v1/accounts/m1/products/TEE-1", {"name": "Tee", "tags": ["summer"], "process_orders": False})
    answer = api.put("/v1/accounts/m1/products/TEE-1", {"name": "Tee v2"})
    assert answer.status == 200
    assert answer.body == {"sku": "TEE-1", "name": "Tee v2", **PRODUCT_DEFAULTS}


@pytest.mark.parametrize("sku", ["A B", "A#1", "50%", "x?y=1&z", 'quo"te', "ünï-cødé", "A+B", "back\\slash"])
def test_any_printable_sku_but_slash_round_trips_through_the_path(world, api, sku):
    # Given a SKU with characters that need URL-encoding / When it is PUT and read back, encoded
    assert api.put(f"/v1/accounts/m1/products/{quote(sku, safe='')}", {"name": "odd"}).status == 201
    answer = api.get(f"/v1/accounts/m1/products/{quote(sku, safe='')}")
    # Then the SKU is the decoded one
    assert answer.status == 200 and answer.body["sku"] == sku


def test_a_decoded_path_as_a_wsgi_server_passes_it_also_routes(world, api):
    assert api.put("/v1/accounts/m1/products/A#1 b", {"name": "decoded"}).status == 201
    assert api.get("/v1/accounts/m1/products/A%231%20b").body["name"] == "decoded"


def test_a_sku_with_a_slash_is_refused_naming_the_sku(world, api, table_items):
    before = table_items()
    answer = api.put("/v1/accounts/m1/products/A%2FB", {"name": "slash"})
    assert answer.status == 422 and answer.error["field"] == "sku"
    assert table_items() == before


def test_a_bundle_gets_a_zero_stock_record_at_every_warehouse_and_a_reverse_index(world, api, repo):
    api.put("/v1/accounts/m1/products/CUP", {"name": "Cup"})
    api.put("/v1/accounts/m1/products/LID", {"name": "Lid"})
    answer = api.put("/v1/accounts/m1/products/SET", {"name": "Set", "bundle": {
        "components": [{"sku": "CUP", "quantity": 2}, {"sku": "LID", "quantity": 1}]}})
    assert answer.status == 201
    assert answer.body["bundle"] == {"components": [{"sku": "CUP", "quantity": 2}, {"sku": "LID", "quantity": 1}]}
    detail = api.get("/v1/accounts/m1/products/SET").body
    assert detail["stock"] == {"fba": {"on_hand": 0, "committed": 0, "available": 0},
                               "w1": {"on_hand": 0, "committed": 0, "available": 0}}
    assert repo.bundles_containing("m1", "CUP") == ["SET"]


def test_a_nested_bundle_is_fine_until_it_contains_itself(world, api, table_items):
    # Given INNER = [A], OUTER = [INNER]
    api.put("/v1/accounts/m1/products/A", {"name": "A"})
    api.put("/v1/accounts/m1/products/INNER", {"name": "Inner", "bundle": {"components": [{"sku": "A", "quantity": 1}]}})
    assert api.put("/v1/accounts/m1/products/OUTER", {"name": "Outer", "bundle": {
        "components": [{"sku": "INNER", "quantity": 2}]}}).status == 201
    before = table_items()
    # When INNER is redefined to contain OUTER
    answer = api.put("/v1/accounts/m1/products/INNER", {"name": "Inner", "bundle": {
        "components": [{"sku": "OUTER", "quantity": 1}]}})
    # Then the cycle is refused naming bundle.components, and nothing changed
    assert answer.status == 422
    assert answer.error["field"] == "bundle.components" and answer.error["code"] == "bundle_cycle"
    assert table_items() == before


@pytest.mark.parametrize("components,field", [
    ([{"sku": "SELF", "quantity": 1}], "bundle.components"),
    ([{"sku": "A", "quantity": 1}, {"sku": "GHOST", "quantity": 1}], "bundle.components[1].sku"),
    ([{"sku": "A", "quantity": 0}], "bundle.components[0].quantity"),
    ([{"sku": "A", "quantity": 1}, {"sku": "A", "quantity": 2}], "bundle.components[1].sku"),
    ([], "bundle.components"),
    ([{"sku": "A", "quantity": 1.5}], "bundle.components[0].quantity"),
    ([{"quantity": 1}], "bundle.components[0].sku"),
])
def test_a_bad_bundle_is_refused_naming_the_component(world, api, table_items, components, field):
    api.put("/v1/accounts/m1/products/A", {"name": "A"})
    before = table_items()
    answer = api.put("/v1/accounts/m1/products/SELF", {"name": "Self", "bundle": {"components": components}})
    assert 400 <= answer.status < 500
    assert answer.error["field"] == field
    assert table_items() == before


def test_a_supplier_assignment_needs_a_supplier_account(world, api, table_items):
    assert api.put("/v1/accounts/m1/products/D", {"name": "D", "supplier_account_id": "s1",
                                                   "auto_dropship": True}).status == 201
    before = table_items()
    for body, field in (({"name": "D", "supplier_account_id": "m2"}, "supplier_account_id"),
                        ({"name": "D", "supplier_account_id": "ghost"}, "supplier_account_id"),
                        ({"name": "D", "auto_dropship": True}, "auto_dropship")):
        answer = api.put("/v1/accounts/m1/products/D", body)
        assert answer.status == 422 and answer.error["field"] == field
    assert table_items() == before


def test_get_shows_stock_per_warehouse_totals_without_excluded_warehouses_and_channel_state(world, api, repo):
    # Given on hand 10 at w1 and 4 at the fba warehouse (excluded from combined totals), 3 committed at w1
    api.put("/v1/accounts/m1/products/TEE", {"name": "Tee", "aliases": {"shop-1": ["TEE-S"]}})
    stock(api, "m1", ("TEE", "w1", 10), ("TEE", "fba", 4))
    from inventory_sync.ports import CounterDelta
    repo.apply_counter_deltas("m1", [CounterDelta("TEE", "w1", committed=3)], "test", "c1")
    # and the channel shop-1 lists it as TEE-S, last pushed 7
    repo.set_desired("m1", "shop-1", "TEE-S", "TEE", 7)
    listing = repo.get_listings("m1", "shop-1", ["TEE-S"])["TEE-S"]
    repo.record_push(listing, pushed=7, seen=7, status="synced", at="2026-01-01T00:00:00.000Z")
    # When the product is read
    body = api.get("/v1/accounts/m1/products/TEE", token=world.merchant_token).body
    # Then
    assert body["stock"] == {"fba": {"on_hand": 4, "committed": 0, "available": 4},
                             "w1": {"on_hand": 10, "committed": 3, "available": 7}}
    assert body["totals"] == {"on_hand": 10, "committed": 3, "available": 7}
    assert body["channels"]["shop-1"]["desired"] == 7
    assert body["channels"]["shop-1"]["last_pushed"] == 7
    assert body["channels"]["shop-1"]["last_pushed_at"] == "2026-01-01T00:00:00.000Z"
    assert body["channels"]["shop-1"]["status"] == "synced"
    assert body["channels"]["shop-1"]["listings"]["TEE-S"]["listing_sku"] == "TEE-S"


def test_a_missing_product_answers_404(world, api):
    answer = api.get("/v1/accounts/m1/products/NOPE")
    assert answer.status == 404 and answer.error["field"] == "sku"


# Explain: the quantity engine is exercised end to end in the e2e suite; here the route is checked
# against a stand-in for services.recompute.explain.
def test_explain_answers_what_the_quantity_engine_says(world, api, monkeypatch):
    calls = []

    def fake_explain(deps, account_id, sku, channel_id):
        calls.append((account_id, sku, channel_id))
        return {"quantity": 5, "steps": [{"rule": "buffer", "input": 7, "output": 5, "note": "buffer 2"}],
                "text": "7 available - buffer 2 = 5"}

    import inventory_sync.services.recompute as recompute
    monkeypatch.setattr(recompute, "explain", fake_explain)
    answer = api.get("/v1/accounts/m1/products/A%231/explain", query={"channel_id": "shop-1"},
                     token=world.merchant_token)
    assert answer.status == 200
    assert answer.body["quantity"] == 5 and answer.body["steps"][0]["rule"] == "buffer"
    assert answer.body["text"].endswith("= 5")
    assert calls == [("m1", "A#1", "shop-1")]


def test_explain_needs_a_channel_id(world, api):
    answer = api.get("/v1/accounts/m1/products/A/explain")
    assert answer.status == 422 and answer.error["field"] == "channel_id"


def test_explain_passes_on_not_found(world, api, monkeypatch):
    from inventory_sync.errors import NotFound
    import inventory_sync.services.recompute as recompute

    def missing(*_args):
        raise NotFound("channel shop-9 not found", field="channel_id")

    monkeypatch.setattr(recompute, "explain", missing)
    answer = api.get("/v1/accounts/m1/products/A/explain", query={"channel_id": "shop-9"})
    assert answer.status == 404 and answer.error["field"] == "channel_id"


# ---- list ----------------------------------------------------------------------------------------

@pytest.fixture
def catalog(world, api):
    for sku, body in (("BAG-1", {"name": "Bag", "tags": ["travel"]}),
                      ("BAG-2", {"name": "Bag 2", "sync_policy": "never"}),
                      ("CAP-1", {"name": "Cap", "tags": ["travel"], "supplier_account_id": "s1"}),
                      ("CAP-2", {"name": "Cap 2", "supplier_account_id": "s1", "sync_policy": "never"}),
                      ("MUG-1", {"name": "Mug"})):
        assert api.put(f"/v1/accounts/m1/products/{sku}", body).status == 201
    return api


def _skus(answer):
    return [p["sku"] for p in answer.body["items"]]


@pytest.mark.parametrize("query,expected", [
    ({}, ["BAG-1", "BAG-2", "CAP-1", "CAP-2", "MUG-1"]),
    ({"prefix": "CAP"}, ["CAP-1", "CAP-2"]),
    ({"tag": "travel"}, ["BAG-1", "CAP-1"]),
    ({"supplier_account_id": "s1"}, ["CAP-1", "CAP-2"]),
    ({"sync_policy": "never"}, ["BAG-2", "CAP-2"]),
    ({"prefix": "CAP", "sync_policy": "never"}, ["CAP-2"]),
])
def test_the_product_list_filters(catalog, query, expected):
    answer = catalog.get("/v1/accounts/m1/products", query=query)
    assert answer.status == 200 and _skus(answer) == expected and answer.body["next_cursor"] is None


@pytest.mark.parametrize("query", [{}, {"tag": "travel"}, {"sync_policy": "customer_default"}])
def test_the_product_list_pages_with_cursors_without_gaps_or_repeats(catalog, query):
    expected = _skus(catalog.get("/v1/accounts/m1/products", query=query))
    seen, cursor = [], None
    for _ in range(10):
        answer = catalog.get("/v1/accounts/m1/products", query={**query, "limit": "2",
                                                               **({"cursor": cursor} if cursor else {})})
        assert answer.status == 200 and len(answer.body["items"]) <= 2
        seen += _skus(answer)
        cursor = answer.body["next_cursor"]
        if cursor is None:
            break
    assert seen == expected


@pytest.mark.parametrize("cursor", ["garbage!", "eyJwayI6ICJBQ0NUI20yIiwgInNrIjogIlBST0RVQ1QjQSJ9", "WzFd"])
def test_a_cursor_that_is_not_from_this_list_is_a_400(catalog, cursor):
    # (the second is m2's key: a cursor can never reach another account's partition)
    answer = catalog.get("/v1/accounts/m1/products", query={"cursor": cursor})
    assert answer.status == 400 and answer.error["field"] == "cursor"


def test_an_unknown_sync_policy_filter_is_refused(catalog):
    answer = catalog.get("/v1/accounts/m1/products", query={"sync_policy": "sometimes"})
    assert answer.status == 422 and answer.error["field"] == "sync_policy"


# ---- bulk update ---------------------------------------------------------------------------------

def test_bulk_update_by_skus_sets_the_fields_and_records_a_bulk_run(catalog, repo):
    answer = catalog.post("/v1/accounts/m1/products:bulk-update",
                          {"skus": ["BAG-1", "MUG-1"], "set": {"sync_policy": "always", "process_orders": False}})
    assert answer.status == 202
    for sku in ("BAG-1", "MUG-1"):
        product = catalog.get(f"/v1/accounts/m1/products/{sku}").body
        assert product["sync_policy"] == "always" and product["process_orders"] is False
    assert catalog.get("/v1/accounts/m1/products/BAG-2").body["sync_policy"] == "never"
    run = catalog.get(f"/v1/accounts/m1/sync-runs/{answer.body['run_id']}").body
    assert run["kind"] == "bulk" and run["status"] == "success"
    assert run["counts"]["products"] == 2 and run["finished_at"]


def test_bulk_update_by_filter_touches_only_the_filtered_products(catalog):
    answer = catalog.post("/v1/accounts/m1/products:bulk-update",
                          {"filter": {"supplier_account_id": "s1"}, "set": {"auto_dropship": True}})
    assert answer.status == 202
    dropship = {p["sku"]: p["auto_dropship"] for p in catalog.get("/v1/accounts/m1/products").body["items"]}
    assert dropship == {"BAG-1": False, "BAG-2": False, "CAP-1": True, "CAP-2": True, "MUG-1": False}


def test_bulk_update_pushes_nothing_by_itself(catalog, queue_depths):
    # Changing a policy sends no message (field-docs/05: it does not trigger an immediate sync)
    catalog.post("/v1/accounts/m1/products:bulk-update", {"filter": {}, "set": {"sync_policy": "always"}})
    assert queue_depths() == {"recompute": 0, "push": 0, "tracking": 0}


@pytest.mark.parametrize("body,field", [
    ({"skus": ["BAG-1", "NOPE"], "set": {"process_orders": False}}, "skus[1]"),
    ({"set": {"process_orders": False}}, "skus"),
    ({"skus": ["BAG-1"], "filter": {}, "set": {"process_orders": False}}, "filter"),
    ({"skus": ["BAG-1"], "set": {}}, "set"),
    ({"skus": ["BAG-1"], "set": {"name": "x"}}, "set.name"),
    ({"skus": ["BAG-1"], "set": {"sync_policy": "sometimes"}}, "set.sync_policy"),
    ({"skus": ["BAG-1"], "set": {"process_orders": None}}, "set.process_orders"),
    ({"filter": {"tags": "travel"}, "set": {"process_orders": False}}, "filter.tags"),
    ({"skus": ["BAG-1"], "set": {"auto_dropship": True}}, "set.auto_dropship"),
    ({"skus": ["BAG-1"]}, "set"),
])
def test_a_bad_bulk_update_is_refused_whole(catalog, table_items, body, field):
    before = table_items()
    answer = catalog.post("/v1/accounts/m1/products:bulk-update", body)
    assert 400 <= answer.status < 500 and answer.error["field"] == field
    assert table_items() == before
