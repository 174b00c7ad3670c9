"""Accounts and warehouses."""

from __future__ import annotations


def test_an_account_takes_the_documented_defaults(api):
    # When the platform creates an account with only the required fields
    answer = api.post("/v1/accounts", {"account_id": "acme", "name": "Acme", "kind": "merchant"})
    # Then it is created with sync_policy "always" and auto_process_orders false
    assert answer.status == 201
    assert answer.body == {"account_id": "acme", "name": "Acme", "kind": "merchant", "sync_policy": "always",
                           "auto_process_orders": False}
    assert api.get("/v1/accounts/acme").body == answer.body


def test_an_existing_account_id_is_a_conflict_and_changes_nothing(world, api, table_items):
    before = table_items()
    answer = api.post("/v1/accounts", {"account_id": "m1", "name": "Again", "kind": "supplier"})
    assert answer.status == 409 and answer.error["field"] == "account_id"
    assert table_items() == before


def test_a_missing_account_answers_404(world, api):
    answer = api.get("/v1/accounts/nobody")
    assert answer.status == 404 and answer.error["field"] == "account_id"


def test_patch_changes_only_the_fields_given(world, api):
    answer = api.patch("/v1/accounts/m1", {"sync_policy": "process_orders_only"}, token=world.merchant_token)
    assert answer.status == 200
    assert answer.body["sync_policy"] == "process_orders_only"
    assert answer.body["name"] == "M1" and answer.body["auto_process_orders"] is False
    assert api.get("/v1/accounts/m1").body["sync_policy"] == "process_orders_only"


def test_patch_may_repeat_the_kind_but_not_change_it(world, api, table_items):
    assert api.patch("/v1/accounts/m1", {"kind": "merchant", "name": "Renamed"}).status == 200
    before = table_items()
    answer = api.patch("/v1/accounts/m1", {"kind": "supplier", "name": "Sneaky"})
    assert answer.status == 422 and answer.error["field"] == "kind"
    assert table_items() == before


def test_patch_refuses_null_for_a_field(world, api, table_items):
    before = table_items()
    answer = api.patch("/v1/accounts/m1", {"name": None})
    assert answer.status == 422 and answer.error["field"] == "name"
    assert table_items() == before


def test_a_warehouse_put_creates_then_replaces(world, api):
    # When m1 PUTs a new warehouse twice
    created = api.put("/v1/accounts/m1/warehouses/east", {"name": "East"}, token=world.merchant_token)
    replaced = api.put("/v1/accounts/m1/warehouses/east", {"name": "East 2", "include_in_combined": False},
                       token=world.merchant_token)
    # Then the first answers 201, the second 200, and the list shows the latest, in creation order
    assert created.status == 201 and created.body["include_in_combined"] is True
    assert replaced.status == 200
    listed = api.get("/v1/accounts/m1/warehouses", token=world.merchant_token).body
    assert [w["warehouse_id"] for w in listed["items"]] == ["w1", "fba", "east"]
    assert listed["items"][2] == {"warehouse_id": "east", "name": "East 2", "include_in_combined": False,
                                  "portal_id": None}
    assert listed["next_cursor"] is None


def test_a_warehouse_without_a_body_is_named_after_its_id(world, api):
    answer = api.put("/v1/accounts/m1/warehouses/bare")
    assert answer.status == 201 and answer.body["name"] == "bare"
