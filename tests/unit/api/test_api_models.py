"""Request models: API.md's defaults, and strict JSON types."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from inventory_sync.api import models as m


def test_account_defaults():
    account = m.AccountIn.model_validate({"account_id": "a", "name": "A", "kind": "merchant"})
    assert account.sync_policy == "always" and account.auto_process_orders is False


def test_product_defaults():
    product = m.ProductIn.model_validate({"name": "Tee"})
    assert (product.sync_policy, product.process_orders, product.bundle, product.supplier_account_id,
            product.auto_dropship, product.aliases, product.tags) == ("customer_default", True, None, None, False,
                                                                      {}, [])


def test_channel_defaults():
    channel = m.ChannelIn.model_validate({"type": "shopify", "credentials": {}, "location_id": "1"})
    assert channel.write_inventory is True and channel.sync_interval_minutes == 60
    assert channel.sku_mode == "master" and channel.sync_mode == "sales_channel"
    assert channel.warehouses.model_dump() == {"mode": "combined", "warehouse_id": None, "exclude": []}
    assert channel.rules.model_dump() == {"buffer": 0, "out_of_stock_threshold": 0, "allocation_percent": 100,
                                          "max_quantity": None, "min_quantity": 0}


def test_warehouse_and_portal_defaults():
    assert m.WarehouseIn.model_validate({}).include_in_combined is True
    portal = m.PortalIn.model_validate({"portal_id": "p", "supplier_account_id": "s", "merchant_account_id": "m"})
    assert portal.write_inventory is True and portal.merchant_warehouse_id is None


@pytest.mark.parametrize("quantity", ["5", 5.0, True, None])
def test_a_quantity_must_be_a_json_integer(quantity):
    with pytest.raises(ValidationError):
        m.StockChangeIn.model_validate({"sku": "A", "warehouse_id": "w", "op": "set", "quantity": quantity,
                                        "reason": "receipt"})


def test_the_changes_list_holds_at_most_1000():
    change = {"sku": "A", "warehouse_id": "w", "op": "adjust", "quantity": 1, "reason": "receipt"}
    assert len(m.StockChangesIn.model_validate({"changes": [change] * 1000}).changes) == 1000
    with pytest.raises(ValidationError):
        m.StockChangesIn.model_validate({"changes": [change] * 1001})


def test_bulk_filter_and_set_refuse_unknown_keys_so_nothing_widens_silently():
    with pytest.raises(ValidationError):
        m.BulkUpdateIn.model_validate({"filter": {"tags": "x"}, "set": {"process_orders": False}})
    with pytest.raises(ValidationError):
        m.BulkUpdateIn.model_validate({"skus": ["A"], "set": {"name": "x"}})


def test_other_unknown_fields_are_ignored_so_a_read_can_be_written_back():
    product = m.ProductIn.model_validate({"name": "Tee", "stock": {}, "totals": {}, "sku": "TEE"})
    assert product.name == "Tee"
