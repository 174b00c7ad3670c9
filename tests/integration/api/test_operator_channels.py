"""Channels: write-only secrets, defaults, warehouse references, rules and per-SKU overrides."""

from __future__ import annotations

import json

import pytest

SECRET_TOKEN = "shpat_SECRET_0123456789"
WEBHOOK_SECRET = "whsec_SECRET_abcdef"


def shopify(**extra):
    return {"type": "shopify", "credentials": {"shop_domain": "tees.myshopify.com", "access_token": SECRET_TOKEN},
            "webhook_secret": WEBHOOK_SECRET, "location_id": "gid://shopify/Location/111", **extra}


def test_a_channel_takes_the_documented_defaults_and_never_returns_secrets(world, api):
    answer = api.put("/v1/accounts/m1/channels/shop-1", shopify(), token=world.merchant_token)
    assert answer.status == 201
    body = answer.body
    assert body["type"] == "shopify" and body["shop_domain"] == "tees.myshopify.com"
    assert body["write_inventory"] is True and body["sync_interval_minutes"] == 60
    assert body["sku_mode"] == "master" and body["sync_mode"] == "sales_channel"
    assert body["warehouses"] == {"mode": "combined", "warehouse_id": None, "exclude": []}
    assert body["rules"] == {"buffer": 0, "out_of_stock_threshold": 0, "allocation_percent": 100,
                             "max_quantity": None, "min_quantity": 0}
    assert body["api_version"] == "2026-07"
    assert body["webhook_url"] == "https://api.test/webhooks/shopify/shop-1"
    for answer in (answer, api.get("/v1/accounts/m1/channels/shop-1")):
        assert "credentials" not in answer.body and "webhook_secret" not in answer.body
        assert SECRET_TOKEN not in answer.text and WEBHOOK_SECRET not in answer.text


def test_secrets_live_in_ssm_only_never_in_table_items_or_logs(world, api, table_items, ssm_parameters, capsys):
    api.put("/v1/accounts/m1/channels/shop-1", shopify())
    stored = ssm_parameters()["/inventory-sync/test/accounts/m1/channels/shop-1"]
    assert json.loads(stored) == {"credentials": {"shop_domain": "tees.myshopify.com", "access_token": SECRET_TOKEN},
                                  "webhook_secret": WEBHOOK_SECRET}
    items = repr(table_items())
    assert SECRET_TOKEN not in items and WEBHOOK_SECRET not in items
    logged = capsys.readouterr()
    assert SECRET_TOKEN not in logged.out + logged.err and WEBHOOK_SECRET not in logged.out + logged.err


def test_an_update_without_webhook_secret_keeps_the_stored_one(world, api, ssm_parameters):
    api.put("/v1/accounts/m1/channels/shop-1", shopify())
    body = shopify(write_inventory=False)
    del body["webhook_secret"]
    answer = api.put("/v1/accounts/m1/channels/shop-1", body)
    assert answer.status == 200 and answer.body["write_inventory"] is False
    assert json.loads(ssm_parameters()["/inventory-sync/test/accounts/m1/channels/shop-1"])["webhook_secret"] \
        == WEBHOOK_SECRET


def test_a_bigcommerce_channel_is_accepted_and_stored(world, api):
    # (registering its webhooks on the store comes with the BigCommerce issue)
    answer = api.put("/v1/accounts/m1/channels/bc-1", {
        "type": "bigcommerce", "credentials": {"store_hash": "abc123", "access_token": "tok"},
        "webhook_secret": "s", "location_id": "1", "api_base_url": "http://127.0.0.1:9999/"})
    assert answer.status == 201
    got = api.get("/v1/accounts/m1/channels/bc-1").body
    assert got["type"] == "bigcommerce" and got["store_hash"] == "abc123" and got["location_id"] == "1"
    assert got["api_base_url"] == "http://127.0.0.1:9999"


def test_a_numeric_shopify_location_becomes_its_gid(world, api):
    answer = api.put("/v1/accounts/m1/channels/shop-1", shopify(location_id="222"))
    assert answer.body["location_id"] == "gid://shopify/Location/222"


def test_a_channel_chooses_warehouses_that_exist(world, api):
    answer = api.put("/v1/accounts/m1/channels/shop-1", shopify(
        sync_mode="warehouse", warehouses={"mode": "single", "warehouse_id": "w1"},
        rules={"buffer": 2, "max_quantity": 50, "min_quantity": 1}, allocations={"w1": 50},
        locations={"w1": "77"}))
    assert answer.status == 201
    assert answer.body["warehouses"]["warehouse_id"] == "w1" and answer.body["allocations"] == {"w1": 50}
    assert answer.body["locations"] == {"w1": "gid://shopify/Location/77"}
    assert answer.body["rules"] == {"buffer": 2, "out_of_stock_threshold": 0, "allocation_percent": 100,
                                    "max_quantity": 50, "min_quantity": 1}


def test_get_shows_the_last_run_that_covered_the_channel(world, api, repo):
    from inventory_sync.ports import SyncRun

    api.put("/v1/accounts/m1/channels/shop-1", shopify())
    assert api.get("/v1/accounts/m1/channels/shop-1").body["last_run"] is None
    repo.create_run(SyncRun("m1", "run-old", "scheduled", started_at="2026-01-01T00:00:00.000Z"))
    repo.create_run(SyncRun("m1", "run-new", "sync_now", started_at="2026-01-02T00:00:00.000Z"))
    repo.create_run(SyncRun("m1", "run-bulk", "bulk", started_at="2026-01-03T00:00:00.000Z"))
    last = api.get("/v1/accounts/m1/channels/shop-1").body["last_run"]
    assert last["run_id"] == "run-new" and last["kind"] == "sync_now" and last["status"] == "in_progress"
    assert set(last["counts"]) >= {"listings", "pushed", "unchanged", "failed", "skipped_by_policy"}


def test_a_missing_channel_answers_404(world, api):
    answer = api.get("/v1/accounts/m1/channels/nope")
    assert answer.status == 404 and answer.error["field"] == "channel_id"


def test_a_channel_id_of_another_account_is_a_conflict(world, api, table_items, ssm_parameters):
    api.put("/v1/accounts/m2/channels/shop-1", shopify())
    before, secrets = table_items(), ssm_parameters()
    answer = api.put("/v1/accounts/m1/channels/shop-1", shopify(), token=world.merchant_token)
    assert answer.status == 409 and answer.error["field"] == "channel_id"
    assert table_items() == before and ssm_parameters() == secrets


@pytest.mark.parametrize("change,field", [
    ({"warehouses": {"mode": "single", "warehouse_id": "ghost"}}, "warehouses.warehouse_id"),
    ({"warehouses": {"mode": "single"}}, "warehouses.warehouse_id"),
    ({"warehouses": {"mode": "combined", "exclude": ["fba", "ghost"]}}, "warehouses.exclude[1]"),
    ({"warehouses": {"mode": "everything"}}, "warehouses.mode"),
    ({"rules": {"allocation_percent": 101}}, "rules.allocation_percent"),
    ({"rules": {"allocation_percent": -1}}, "rules.allocation_percent"),
    ({"rules": {"buffer": -1}}, "rules.buffer"),
    ({"rules": {"out_of_stock_threshold": -5}}, "rules.out_of_stock_threshold"),
    ({"rules": {"max_quantity": 1, "min_quantity": 2}}, "rules.max_quantity"),
    ({"rules": {"buffer": "2"}}, "rules.buffer"),
    ({"allocations": {"ghost": 10}}, "allocations.ghost"),
    ({"allocations": {"w1": 150}}, "allocations.w1"),
    ({"locations": {"ghost": "gid://shopify/Location/1"}}, "locations.ghost"),
    ({"locations": {"w1": "north-shelf"}}, "locations.w1"),
    ({"sync_mode": "warehouse", "warehouses": {"mode": "single", "warehouse_id": "w1"}}, "locations.w1"),
    ({"type": "amazon"}, "type"),
    ({"credentials": {"shop_domain": "x.myshopify.com"}}, "credentials.access_token"),
    ({"credentials": {"access_token": "t"}}, "credentials.shop_domain"),
    ({"credentials": {"shop_domain": "bad domain/", "access_token": "t"}}, "credentials.shop_domain"),
    ({"credentials": "token"}, "credentials"),
    ({"location_id": "warehouse-a"}, "location_id"),
    ({"location_id": 111}, "location_id"),
    ({"write_inventory": "yes"}, "write_inventory"),
    ({"sync_interval_minutes": 0}, "sync_interval_minutes"),
    ({"sku_mode": "alias"}, "sku_mode"),
    ({"sync_mode": "both"}, "sync_mode"),
    ({"api_base_url": "ftp://example.com"}, "api_base_url"),
    ({"credentials": {"shop_domain": "x.myshopify.com", "access_token": "t" * 5000}}, "credentials"),
])
def test_a_bad_channel_is_refused_whole(world, api, table_items, ssm_parameters, change, field):
    before, secrets = table_items(), ssm_parameters()
    answer = api.put("/v1/accounts/m1/channels/shop-1", {**shopify(), **change})
    assert 400 <= answer.status < 500
    assert answer.error["field"] == field, answer.body
    assert table_items() == before and ssm_parameters() == secrets


def test_a_bigcommerce_location_is_numeric(world, api):
    answer = api.put("/v1/accounts/m1/channels/bc-1", {
        "type": "bigcommerce", "credentials": {"store_hash": "abc", "access_token": "t"}, "location_id": "main"})
    assert answer.status == 422 and answer.error["field"] == "location_id"
    answer = api.put("/v1/accounts/m1/channels/bc-1", {
        "type": "bigcommerce", "credentials": {"shop_domain": "abc", "access_token": "t"}, "location_id": "1"})
    assert answer.status == 422 and answer.error["field"] == "credentials.store_hash"


# ---- per-SKU rule overrides ----------------------------------------------------------------------

@pytest.fixture
def channel(world, api):
    api.put("/v1/accounts/m1/channels/shop-1", shopify(rules={"buffer": 3, "allocation_percent": 80}))
    api.put("/v1/accounts/m1/products/TEE", {"name": "Tee"})
    return api


def test_a_partial_override_overrides_only_its_fields(channel, repo):
    answer = channel.put("/v1/accounts/m1/channels/shop-1/rules/TEE", {"buffer": 0, "max_quantity": 10})
    assert answer.status == 200
    assert answer.body["rules"] == {"buffer": 0, "max_quantity": 10}
    assert answer.body["effective"] == {"buffer": 0, "out_of_stock_threshold": 0, "allocation_percent": 80,
                                        "max_quantity": 10, "min_quantity": 0}
    assert repo.get_rule_overrides("m1", "shop-1", ["TEE"]) == {"TEE": {"buffer": 0, "max_quantity": 10}}
    assert channel.get("/v1/accounts/m1/channels/shop-1/rules/TEE").body == answer.body


def test_an_override_may_also_be_sent_wrapped_in_rules(channel):
    answer = channel.put("/v1/accounts/m1/channels/shop-1/rules/TEE", {"rules": {"allocation_percent": 50}})
    assert answer.status == 200 and answer.body["rules"] == {"allocation_percent": 50}
    assert answer.body["effective"]["allocation_percent"] == 50 and answer.body["effective"]["buffer"] == 3


@pytest.mark.parametrize("path,body,status,field", [
    ("/v1/accounts/m1/channels/shop-1/rules/NOPE", {"buffer": 1}, 404, "sku"),
    ("/v1/accounts/m1/channels/shop-9/rules/TEE", {"buffer": 1}, 404, "channel_id"),
    ("/v1/accounts/m1/channels/shop-1/rules/TEE", {"buffer": -1}, 422, "buffer"),
    ("/v1/accounts/m1/channels/shop-1/rules/TEE", {"allocation_percent": 101}, 422, "allocation_percent"),
    ("/v1/accounts/m1/channels/shop-1/rules/TEE", {"max_quantity": 1, "min_quantity": 5}, 422, "max_quantity"),
    ("/v1/accounts/m1/channels/shop-1/rules/TEE", {"rules": {"max_quantity": 1, "min_quantity": 5}}, 422,
     "rules.max_quantity"),
    ("/v1/accounts/m1/channels/shop-1/rules/TEE", {"rules": {"allocation_percent": 120}}, 422,
     "rules.allocation_percent"),
    ("/v1/accounts/m1/channels/shop-1/rules/TEE", {"buffer": None}, 422, "buffer"),
    ("/v1/accounts/m1/channels/shop-1/rules/TEE", {"min_quantity": 1.5}, 422, "min_quantity"),
])
def test_a_bad_override_is_refused(channel, table_items, path, body, status, field):
    before = table_items()
    answer = channel.put(path, body)
    assert answer.status == status and answer.error["field"] == field
    assert table_items() == before


def test_two_channels_cannot_share_more_than_all_of_a_warehouse(world, api, table_items, ssm_parameters):
    """Given channel A drawing 60% of w1, when channel B asks for 50% of it, then B is refused
    naming the warehouse and nothing is stored; 40% fits."""
    assert api.put("/v1/accounts/m1/channels/shop-a", shopify(allocations={"w1": 60})).status == 201
    before, secrets = table_items(), ssm_parameters()
    answer = api.put("/v1/accounts/m1/channels/shop-b", shopify(allocations={"w1": 50}))
    assert answer.status == 422 and answer.error["field"] == "allocations.w1"
    assert table_items() == before and ssm_parameters() == secrets
    assert api.put("/v1/accounts/m1/channels/shop-b", shopify(allocations={"w1": 40})).status == 201
