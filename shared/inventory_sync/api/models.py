"""Request and response models of the operator API (pydantic, at the edge only).

Requests are strict: JSON types are not coerced (`"5"` is not a quantity, `1` is not a boolean),
so a wrong type is refused naming the field. Unknown fields are ignored (clients may round-trip
what they read), except inside `filter` and `set` of a bulk update, where a misspelt key would
silently widen or change what the update does. Defaults are exactly those of API.md.
Responses are plain models built explicitly from domain values (see `to_*` in the routes).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from inventory_sync.api.paths import ID_PATTERN, check_sku

MAX_QUANTITY = 1_000_000_000
MAX_CHANGES = 1000
MAX_LISTED_SKUS = 10_000

Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Sku = Annotated[str, AfterValidator(check_sku)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Text = Annotated[str, StringConstraints(max_length=255)]
Key = Annotated[str, StringConstraints(min_length=1, max_length=255)]
Percent = Annotated[int, Field(ge=0, le=100)]
NonNegative = Annotated[int, Field(ge=0, le=MAX_QUANTITY)]

AccountKind = Literal["merchant", "supplier"]
AccountSyncPolicy = Literal["always", "never", "process_orders_only"]
ProductSyncPolicy = Literal["customer_default", "never", "always", "process_orders_only"]
Reason = Literal["sales_order", "purchase_order", "work_order", "manual_adjustment", "file_upload",
                 "inventory_feed", "receipt", "return"]


class Request(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")


class Closed(Request):
    model_config = ConfigDict(strict=True, extra="forbid")


# ---- accounts, tokens, warehouses -------------------------------------------------------------

class AccountIn(Request):
    account_id: Id
    name: Name
    kind: AccountKind
    sync_policy: AccountSyncPolicy = "always"
    auto_process_orders: bool = False


class AccountPatch(Request):
    """Partial update: absent fields are unchanged. `kind` and `account_id` cannot change."""

    name: Name | None = None
    sync_policy: AccountSyncPolicy | None = None
    auto_process_orders: bool | None = None
    kind: AccountKind | None = None
    account_id: Id | None = None


class AccountOut(BaseModel):
    account_id: str
    name: str
    kind: AccountKind
    sync_policy: AccountSyncPolicy
    auto_process_orders: bool


class TokenOut(BaseModel):
    token: str = Field(description="Shown once; only its sha256 is stored")
    account_id: str


class WarehouseIn(Request):
    name: Annotated[str, StringConstraints(max_length=200)] | None = None
    include_in_combined: bool = True


class WarehouseOut(BaseModel):
    warehouse_id: str
    name: str
    include_in_combined: bool
    portal_id: str | None = Field(None, description="Set on a merchant warehouse fed by a portal")


class WarehousePage(BaseModel):
    items: list[WarehouseOut]
    next_cursor: str | None = None


# ---- products ----------------------------------------------------------------------------------

class ComponentIn(Request):
    sku: Sku
    quantity: Annotated[int, Field(ge=1, le=1_000_000)]


class BundleIn(Request):
    components: Annotated[list[ComponentIn], Field(min_length=1, max_length=100)]


class ProductIn(Request):
    name: Name
    sync_policy: ProductSyncPolicy = "customer_default"
    process_orders: bool = True
    bundle: BundleIn | None = None
    supplier_account_id: Id | None = None
    auto_dropship: bool = False
    aliases: Annotated[dict[Id, Annotated[list[Sku], Field(max_length=20)]], Field(max_length=100)] = {}
    tags: Annotated[list[Tag], Field(max_length=50)] = []


class ComponentOut(BaseModel):
    sku: str
    quantity: int


class BundleOut(BaseModel):
    components: list[ComponentOut]


class ProductOut(BaseModel):
    sku: str
    name: str
    sync_policy: ProductSyncPolicy
    process_orders: bool
    bundle: BundleOut | None
    supplier_account_id: str | None
    auto_dropship: bool
    aliases: dict[str, list[str]]
    tags: list[str]
    imported_from_portal: str | None = None


class StockOut(BaseModel):
    on_hand: int
    committed: int
    available: int


class ListingStateOut(BaseModel):
    listing_sku: str
    desired: int | None
    last_pushed: int | None
    last_pushed_at: str | None
    status: str


class ChannelStateOut(ListingStateOut):
    """The product on one channel: its first listing, and every listing when aliases give several."""

    listings: dict[str, ListingStateOut]


class ProductDetailOut(ProductOut):
    stock: dict[str, StockOut]
    totals: StockOut = Field(description="Over the warehouses included in combined totals")
    channels: dict[str, ChannelStateOut]


class ProductPage(BaseModel):
    items: list[ProductOut]
    next_cursor: str | None = None


class ExplainStepOut(BaseModel):
    rule: str
    input: Any = None
    output: Any = None
    note: str | None = None


class ExplainOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    quantity: int
    steps: list[ExplainStepOut]
    text: str | None = None


class ProductFilter(Closed):
    """The product list's filters (all optional; `{}` selects the whole catalog)."""

    prefix: Annotated[str, StringConstraints(max_length=255)] | None = None
    tag: Tag | None = None
    supplier_account_id: Id | None = None
    sync_policy: ProductSyncPolicy | None = None


class BulkSet(Closed):
    sync_policy: ProductSyncPolicy | None = None
    process_orders: bool | None = None
    auto_dropship: bool | None = None


class BulkUpdateIn(Request):
    filter_: ProductFilter | None = Field(None, alias="filter")
    skus: Annotated[list[Sku], Field(min_length=1, max_length=MAX_LISTED_SKUS)] | None = None
    set_: BulkSet = Field(alias="set")


class RunIdOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    run_id: str


# ---- stock changes -----------------------------------------------------------------------------

class StockChangeIn(Request):
    sku: Sku
    warehouse_id: Id
    op: Literal["set", "adjust"]
    quantity: Annotated[int, Field(ge=-MAX_QUANTITY, le=MAX_QUANTITY)]
    reason: Reason
    reference: Text | None = None
    idempotency_key: Key | None = None


class StockChangesIn(Request):
    changes: Annotated[list[StockChangeIn], Field(min_length=1, max_length=MAX_CHANGES)]


class AcceptedOut(BaseModel):
    accepted: int = Field(description="Changes applied (a repeated idempotency_key counts once)")


# ---- channels ----------------------------------------------------------------------------------

class WarehouseSelectionIn(Request):
    mode: Literal["combined", "single"] = "combined"
    warehouse_id: Id | None = None
    exclude: Annotated[list[Id], Field(max_length=100)] = []


class RulesIn(Request):
    buffer: NonNegative = 0
    out_of_stock_threshold: NonNegative = 0
    allocation_percent: Percent = 100
    max_quantity: NonNegative | None = None
    min_quantity: NonNegative = 0


class RulesOverride(Request):
    """Only the fields given override the channel's rules."""

    buffer: NonNegative | None = None
    out_of_stock_threshold: NonNegative | None = None
    allocation_percent: Percent | None = None
    max_quantity: NonNegative | None = Field(None, description="null here means: no maximum for this SKU")
    min_quantity: NonNegative | None = None


class RulesOverrideIn(RulesOverride):
    """A per-SKU override: the rule fields themselves, or wrapped as `{"rules": {...}}`."""

    rules: RulesOverride | None = None


class ChannelIn(Request):
    type: Literal["shopify", "bigcommerce"]
    api_base_url: Annotated[str, StringConstraints(max_length=2048)] | None = None
    api_version: Annotated[str, StringConstraints(min_length=1, max_length=32)] | None = None
    credentials: dict[str, Any] = Field(description="Shopify {shop_domain, access_token}; BigCommerce "
                                                    "{store_hash, access_token}. Write-only.")
    webhook_secret: Annotated[str, StringConstraints(min_length=1, max_length=1024)] | None = Field(
        None, description="Write-only; omitted on an update keeps the stored one")
    location_id: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    write_inventory: bool = True
    sync_interval_minutes: Annotated[int, Field(ge=1, le=10_080)] = 60
    sku_mode: Literal["master", "listing"] = "master"
    sync_mode: Literal["warehouse", "sales_channel"] = "sales_channel"
    warehouses: WarehouseSelectionIn = WarehouseSelectionIn()
    rules: RulesIn = RulesIn()
    allocations: Annotated[dict[Id, Percent], Field(max_length=100)] = Field(
        {}, description="sales_channel mode: warehouse_id -> percent of it this channel may draw")
    locations: Annotated[dict[Id, Annotated[str, StringConstraints(min_length=1, max_length=255)]],
                         Field(max_length=100)] = Field(
        {}, description="warehouse mode: warehouse_id -> the channel location that shows that warehouse's "
                        "quantity (every warehouse the channel draws on needs one)")


class RulesOut(BaseModel):
    buffer: int
    out_of_stock_threshold: int
    allocation_percent: int
    max_quantity: int | None
    min_quantity: int


class WarehouseSelectionOut(BaseModel):
    mode: str
    warehouse_id: str | None
    exclude: list[str]


class RunOut(BaseModel):
    run_id: str
    kind: str
    status: str
    started_at: str
    finished_at: str | None
    counts: dict[str, int]
    errors: list[dict[str, Any]]


class ChannelOut(BaseModel):
    account_id: str
    channel_id: str
    type: str
    api_base_url: str | None
    api_version: str
    location_id: str
    shop_domain: str | None
    store_hash: str | None
    write_inventory: bool
    sync_interval_minutes: int
    sku_mode: str
    sync_mode: str
    warehouses: WarehouseSelectionOut
    rules: RulesOut
    allocations: dict[str, int]
    locations: dict[str, str] = {}
    webhook_url: str | None = None
    last_run: RunOut | None = None


class RuleOverrideOut(BaseModel):
    channel_id: str
    sku: str
    rules: dict[str, int | None] = Field(description="The override as stored (only the given fields)")
    effective: RulesOut = Field(description="The channel's rules with the override applied")


# ---- sync --------------------------------------------------------------------------------------

class SyncIn(Request):
    skus: Annotated[list[Sku], Field(min_length=1, max_length=MAX_LISTED_SKUS)] | None = None
    filter_: ProductFilter | None = Field(None, alias="filter")
    channel_ids: Annotated[list[Annotated[str, StringConstraints(min_length=1, max_length=128)]],
                           Field(min_length=1, max_length=100)] | None = None


class RunPage(BaseModel):
    items: list[RunOut]
    next_cursor: str | None = None


class HistoryOut(BaseModel):
    at: str
    sku: str
    channel_id: str
    listing_sku: str
    from_quantity: int | None
    to_quantity: int | None
    result: str
    reason: str
    run_id: str | None


class HistoryPage(BaseModel):
    items: list[HistoryOut]
    next_cursor: str | None = None


# ---- portals -----------------------------------------------------------------------------------

class PortalIn(Request):
    portal_id: Id
    supplier_account_id: Id
    merchant_account_id: Id
    write_inventory: bool = True
    sync_interval_minutes: Annotated[int, Field(ge=1, le=10_080)] = 60
    only_fulfilled_products: bool = True
    merchant_warehouse_id: Id | None = None


class PortalOut(BaseModel):
    portal_id: str
    supplier_account_id: str
    merchant_account_id: str
    write_inventory: bool
    sync_interval_minutes: int
    only_fulfilled_products: bool
    merchant_warehouse_id: str
    products_imported: bool = False
    imported_at: str | None = None


# ---- orders ------------------------------------------------------------------------------------

LineId = Annotated[str, StringConstraints(min_length=1, max_length=255)]


class SplitIn(Request):
    groups: Annotated[list[Annotated[list[LineId], Field(max_length=500)]], Field(min_length=1, max_length=50)]


class SplitOut(BaseModel):
    order_ids: list[str] = Field(description="The original order (first group) then one new order per group")


class ShipmentLineIn(Request):
    line_id: LineId
    quantity: Annotated[int, Field(ge=1, le=MAX_QUANTITY)]


class ShipmentIn(Request):
    lines: Annotated[list[ShipmentLineIn], Field(min_length=1, max_length=90)]
    carrier: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    tracking_number: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    tracking_url: Annotated[str, StringConstraints(max_length=2048)] | None = None
    idempotency_key: Key | None = Field(None, description="Or the Idempotency-Key header; default: a "
                                                          "hash of the request")


class ShipmentLineOut(BaseModel):
    line_id: str
    sku: str
    quantity: int


class ShipmentOut(BaseModel):
    shipment_id: str
    order_id: str
    lines: list[ShipmentLineOut]
    carrier: str
    tracking_number: str
    tracking_url: str | None
    created_at: str
    relay_status: str


class OrderSourceOut(BaseModel):
    kind: str
    id: str


class OrderLineOut(BaseModel):
    line_id: str
    sku: str
    quantity: int
    warehouse_id: str | None
    shipped: int
    cancelled: int
    routed_to: str | None


class OrderOut(BaseModel):
    order_id: str
    source: OrderSourceOut
    status: str
    lines: list[OrderLineOut]
    shipments: list[dict[str, Any]]
    linked_orders: list[dict[str, Any]]
    channel_order_id: str | None


class OrderPage(BaseModel):
    items: list[OrderOut]
    next_cursor: str | None = None


# ---- errors ------------------------------------------------------------------------------------

class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = Field(None, description="The field to blame, e.g. changes[3].quantity")


class ErrorOut(BaseModel):
    error: ErrorDetail
