"""Value types of the inventory domain.

Pure: standard library only. The repository maps stored items to these types and back; services
and the quantity engine work on them. Quantities are ints (units), never floats.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class AccountKind(str, Enum):
    MERCHANT = "merchant"
    SUPPLIER = "supplier"


class AccountSyncPolicy(str, Enum):
    NEVER = "never"
    ALWAYS = "always"
    PROCESS_ORDERS_ONLY = "process_orders_only"


class ProductSyncPolicy(str, Enum):
    CUSTOMER_DEFAULT = "customer_default"
    NEVER = "never"
    ALWAYS = "always"
    PROCESS_ORDERS_ONLY = "process_orders_only"


class ChangeReason(str, Enum):
    """Why stock changed. Every reason triggers a recompute (field-docs/03)."""

    SALES_ORDER = "sales_order"
    PURCHASE_ORDER = "purchase_order"
    WORK_ORDER = "work_order"
    MANUAL_ADJUSTMENT = "manual_adjustment"
    FILE_UPLOAD = "file_upload"
    INVENTORY_FEED = "inventory_feed"
    RECEIPT = "receipt"
    RETURN = "return"
    CHANNEL_ORDER = "channel_order"
    CANCELLATION = "cancellation"
    SHIPMENT = "shipment"
    PORTAL_FEED = "portal_feed"


@dataclass(frozen=True)
class Account:
    account_id: str
    name: str
    kind: AccountKind
    sync_policy: AccountSyncPolicy = AccountSyncPolicy.ALWAYS
    auto_process_orders: bool = False


@dataclass(frozen=True)
class Warehouse:
    warehouse_id: str
    name: str = ""
    include_in_combined: bool = True
    #: set on the merchant warehouse that stands for a supplier's stock behind a portal
    portal_id: str | None = None


@dataclass(frozen=True)
class StockLevel:
    """One SKU at one warehouse."""

    sku: str
    warehouse_id: str
    on_hand: int = 0
    committed: int = 0
    #: True once on hand has been above 0 at least once ("received", RyderShip)
    received: bool = False

    @property
    def available(self) -> int:
        return self.on_hand - self.committed


@dataclass(frozen=True)
class BundleComponent:
    sku: str
    quantity: int


@dataclass(frozen=True)
class Bundle:
    components: tuple[BundleComponent, ...]


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    sync_policy: ProductSyncPolicy = ProductSyncPolicy.CUSTOMER_DEFAULT
    process_orders: bool = True
    bundle: Bundle | None = None
    supplier_account_id: str | None = None
    auto_dropship: bool = False
    #: channel_id -> listing SKUs on that channel
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    #: set when the product was imported into a supplier account through a portal
    imported_from_portal: str | None = None


@dataclass(frozen=True)
class Rules:
    """A channel's quantity rules (overridable per SKU)."""

    buffer: int = 0
    out_of_stock_threshold: int = 0
    allocation_percent: int = 100
    max_quantity: int | None = None
    min_quantity: int = 0


@dataclass(frozen=True)
class WarehouseSelection:
    mode: str = "combined"  # "combined" | "single"
    warehouse_id: str | None = None
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class Channel:
    account_id: str
    channel_id: str
    type: str  # "shopify" | "bigcommerce"
    location_id: str
    api_base_url: str | None = None
    api_version: str = "2026-07"
    shop_domain: str | None = None
    store_hash: str | None = None
    write_inventory: bool = True
    sync_interval_minutes: int = 60
    sku_mode: str = "master"  # "master" | "listing"
    sync_mode: str = "sales_channel"  # "sales_channel" | "warehouse"
    warehouses: WarehouseSelection = WarehouseSelection()
    rules: Rules = Rules()
    #: sales-channel mode: warehouse_id -> percent of that warehouse this channel may draw
    allocations: dict[str, int] = field(default_factory=dict)
    #: warehouse mode: warehouse_id -> the channel's own location that shows that warehouse
    locations: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Portal:
    portal_id: str
    supplier_account_id: str
    merchant_account_id: str
    write_inventory: bool = True
    sync_interval_minutes: int = 60
    only_fulfilled_products: bool = True
    merchant_warehouse_id: str = ""

    @property
    def warehouse_id(self) -> str:
        return self.merchant_warehouse_id or f"portal-{self.portal_id}"


@dataclass(frozen=True)
class OrderLine:
    line_id: str
    sku: str
    quantity: int
    warehouse_id: str | None = None
    #: the supplier this line was routed to (auto-dropship), if any
    routed_to: str | None = None
    shipped: int = 0
    cancelled: int = 0
    listing_sku: str | None = None
    channel_line_id: str | None = None
    #: the stock records each unit took when committed (bundles take components), stored so a
    #: later shipment or cancellation releases exactly those: [{"units": n, "per_unit": [[sku, q], ...]}]
    draws: tuple[dict, ...] = ()


@dataclass(frozen=True)
class Order:
    account_id: str
    order_id: str
    source_kind: str  # "channel" | "portal"
    source_id: str
    status: str = "open"  # open | partially_shipped | shipped | cancelled
    lines: tuple[OrderLine, ...] = ()
    channel_order_id: str | None = None
    linked_orders: tuple[dict, ...] = ()
    shipments: tuple[dict, ...] = ()
