"""The operator's catalog: accounts, tokens, warehouses, products (bundles), stock changes,
channels (rules, secrets), portals and the read side of sync runs.

Every function validates the whole request against what is stored before its first write, so bad
input is refused whole with the field to blame and nothing stored (I7). Functions take `deps`
(the composition root) and domain values, and return domain values or the small views below.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Iterable, Mapping, Sequence
from urllib.parse import urlsplit
from uuid import uuid4

from inventory_sync.adapters.dynamo import utcnow
from inventory_sync.domain import allocation, bundles
from inventory_sync.domain.quantity import channel_warehouse_ids
from inventory_sync.domain.model import (
    Account,
    AccountKind,
    AccountSyncPolicy,
    Channel,
    Portal,
    Product,
    Rules,
    StockLevel,
    Warehouse,
)
from inventory_sync.errors import Conflict, NotFound, Unprocessable
from inventory_sync.observability import logger
from inventory_sync.ports import Listing, Page, StockChange, SyncRun

SSM_SECURE_STRING_LIMIT = 4096
BULK_PAGE = 500
SHOPIFY_LOCATION_GID = "gid://shopify/Location/"


# ---- accounts and tokens ---------------------------------------------------------------------

def create_account(deps: Any, account: Account) -> Account:
    deps.repo.create_account(account)  # Conflict (409, field account_id) when it exists
    return account


def get_account(deps: Any, account_id: str) -> Account:
    account = deps.repo.get_account(account_id)
    if account is None:
        raise NotFound(f"account {account_id} not found", field="account_id")
    return account


def update_account(deps: Any, account_id: str, changes: Mapping[str, Any]) -> Account:
    """Applies a partial update; `kind` and `account_id` may be sent only unchanged."""
    account = get_account(deps, account_id)
    for name in ("account_id", "kind"):
        if name in changes and changes[name] != _plain(getattr(account, name)):
            raise Unprocessable(f"{name} cannot be changed", field=name, code="immutable_field")
    changes = {k: v for k, v in changes.items() if k not in ("account_id", "kind")}
    if "sync_policy" in changes:
        changes["sync_policy"] = AccountSyncPolicy(changes["sync_policy"])
    updated = replace(account, **changes)
    if updated != account:
        deps.repo.save_account(updated)
    return updated


def issue_token(deps: Any, account_id: str, token_hash: str) -> None:
    """Stores the hash of a new account token (the token itself is shown once, never stored)."""
    get_account(deps, account_id)
    deps.repo.put_token(account_id, token_hash)


# ---- warehouses -------------------------------------------------------------------------------

def put_warehouse(deps: Any, account_id: str, warehouse: Warehouse) -> tuple[Warehouse, bool]:
    """Creates or replaces a warehouse; a portal's merchant warehouse keeps its portal link."""
    get_account(deps, account_id)
    existing = deps.repo.get_warehouses(account_id).get(warehouse.warehouse_id)
    if existing is not None and existing.portal_id:
        warehouse = replace(warehouse, portal_id=existing.portal_id)
    deps.repo.put_warehouse(account_id, warehouse)
    return warehouse, existing is None


def list_warehouses(deps: Any, account_id: str) -> list[Warehouse]:
    get_account(deps, account_id)
    return list(deps.repo.get_warehouses(account_id).values())


# ---- products ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProductFilter:
    """The product list's filters; the same shape filters bulk updates and Sync Now."""

    prefix: str = ""
    tag: str | None = None
    supplier_account_id: str | None = None
    sync_policy: str | None = None

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in (("prefix", self.prefix), ("tag", self.tag),
                                  ("supplier_account_id", self.supplier_account_id),
                                  ("sync_policy", self.sync_policy)) if v}


@dataclass(frozen=True)
class ProductDetail:
    product: Product
    stock: dict[str, StockLevel]
    totals: StockLevel
    #: channel_id -> its listings of this product (several when aliases list several)
    listings: dict[str, list[Listing]]


def put_product(deps: Any, account_id: str, product: Product) -> tuple[Product, bool]:
    """Creates or replaces a product. A bundle is checked (components exist, no cycle) and gets a
    0 stock record at every warehouse, as Extensiv requires for bundle inventory to sync."""
    repo = deps.repo
    get_account(deps, account_id)
    _check_supplier(deps, account_id, product)
    _check_bundle(repo, account_id, product)
    existing = repo.get_product(account_id, product.sku)
    if existing is not None:  # set by a portal import, not by the operator
        product = replace(product, imported_from_portal=existing.imported_from_portal)
    repo.put_product(account_id, product)
    if product.bundle is not None:
        for warehouse_id in repo.get_warehouses(account_id):
            repo.ensure_stock_record(account_id, product.sku, warehouse_id)
    return product, existing is None


def _check_supplier(deps: Any, account_id: str, product: Product) -> None:
    supplier_id = product.supplier_account_id
    if supplier_id is not None:
        supplier = deps.repo.get_account(supplier_id) if supplier_id != account_id else None
        if supplier is None or supplier.kind != AccountKind.SUPPLIER:
            raise Unprocessable(f"{supplier_id} is not a supplier account", field="supplier_account_id",
                                code="unknown_supplier")
    if product.auto_dropship and supplier_id is None:
        raise Unprocessable("auto_dropship needs a supplier_account_id", field="auto_dropship",
                            code="dropship_without_supplier")


def _check_bundle(repo: Any, account_id: str, product: Product) -> None:
    """Components exist, appear once, and no bundle contains itself, directly or nested (the rules
    are the domain's: `bundles.validate_bundle`; this loads what it needs to see)."""
    if product.bundle is None:
        return
    seen: set[str] = set()
    for i, component in enumerate(product.bundle.components):
        if component.sku in seen:
            raise Unprocessable(f"component {component.sku} is listed twice", field=f"bundle.components[{i}].sku",
                                code="duplicate_component")
        seen.add(component.sku)
    known: dict[str, Product] = {}
    todo = seen - {product.sku}
    while todo:  # the components and, transitively, the components of nested bundles
        found = repo.get_products(account_id, todo)
        known.update(found)
        todo = {c.sku for p in found.values() if p.bundle for c in p.bundle.components} - set(known) - {product.sku}
    bundles.validate_bundle(product.sku, product.bundle, known)


def get_product_detail(deps: Any, account_id: str, sku: str) -> ProductDetail:
    repo = deps.repo
    get_account(deps, account_id)
    product = repo.get_product(account_id, sku)
    if product is None:
        raise NotFound(f"product {sku} not found", field="sku")
    stock = repo.get_stock(account_id, [sku]).get(sku, {})
    warehouses = repo.get_warehouses(account_id)
    combined = [level for wh, level in stock.items()
                if warehouses.get(wh) is None or warehouses[wh].include_in_combined]
    totals = StockLevel(sku, "*", on_hand=sum(s.on_hand for s in combined),
                        committed=sum(s.committed for s in combined))
    listings: dict[str, list[Listing]] = {}
    for listing in sorted(repo.listings_for_sku(account_id, sku, product.aliases),
                          key=lambda x: (x.listing_sku != sku, x.listing_sku)):
        listings.setdefault(listing.channel_id, []).append(listing)
    return ProductDetail(product, dict(sorted(stock.items())), totals, listings)


def list_products(deps: Any, account_id: str, product_filter: ProductFilter, cursor: str | None,
                  limit: int) -> Page:
    get_account(deps, account_id)
    return deps.repo.query_products(account_id, prefix=product_filter.prefix, tag=product_filter.tag,
                                    supplier_account_id=product_filter.supplier_account_id,
                                    sync_policy=product_filter.sync_policy, cursor=cursor, limit=limit)


def check_skus_exist(deps: Any, account_id: str, skus: Sequence[str], field_name: str = "skus") -> None:
    found: set[str] = set()
    for start in range(0, len(skus), 1000):
        found |= set(deps.repo.get_products(account_id, skus[start:start + 1000]))
    for i, sku in enumerate(skus):
        if sku not in found:
            raise Unprocessable(f"product {sku} not found", field=f"{field_name}[{i}]", code="unknown_product")


def bulk_update(deps: Any, account_id: str, changes: Mapping[str, Any], *, skus: Sequence[str] | None = None,
                product_filter: ProductFilter | None = None) -> str:
    """Sets `changes` (sync_policy / process_orders / auto_dropship) on the listed or filtered
    products and records a run of kind "bulk". Pushes nothing by itself (field-docs/05).

    Applied inline, one conditional update per product: fine for a few thousand SKUs within the
    API's 29 s; the run is recorded either way so a caller can check what happened.
    """
    repo = deps.repo
    get_account(deps, account_id)
    if (skus is None) == (product_filter is None):
        raise Unprocessable("give either skus or filter", field="skus" if skus is None else "filter",
                            code="skus_or_filter")
    if not changes:
        raise Unprocessable("set at least one of sync_policy, process_orders, auto_dropship", field="set",
                            code="empty_set")
    if skus is not None:
        skus = list(dict.fromkeys(skus))
        check_skus_exist(deps, account_id, skus)
    targets = list(_bulk_targets(repo, account_id, skus, product_filter))
    if changes.get("auto_dropship"):
        for start in range(0, len(targets), 1000):
            _check_dropship_targets(repo.get_products(account_id, targets[start:start + 1000]).values())
    run_id = uuid4().hex
    repo.create_run(SyncRun(account_id, run_id, "bulk", started_at=utcnow(), expected_pages=1))
    updated, missing = 0, []
    for sku in targets:
        if repo.update_product_fields(account_id, sku, dict(changes)):
            updated += 1
        else:  # deleted since it was listed
            missing.append(sku)
    for sku in missing[:100]:
        repo.add_run_counts(account_id, run_id, {}, error={"sku": sku, "error": "product no longer exists"})
    repo.add_run_counts(account_id, run_id, {"products": updated, "failed": len(missing)}, pages_done=1)
    repo.finish_run(account_id, run_id, "success" if not missing else ("partial" if updated else "failed"))
    return run_id


def _check_dropship_targets(products: Iterable[Product]) -> None:
    for product in products:
        if product.supplier_account_id is None:
            raise Unprocessable(f"{product.sku} has no supplier_account_id: auto_dropship needs one",
                                field="set.auto_dropship", code="dropship_without_supplier")


def _bulk_targets(repo: Any, account_id: str, skus: Sequence[str] | None,
                  product_filter: ProductFilter | None) -> Iterable[str]:
    if skus is not None:
        yield from skus
        return
    f = product_filter or ProductFilter()
    cursor = None
    while True:
        page = repo.query_products(account_id, prefix=f.prefix, tag=f.tag, supplier_account_id=f.supplier_account_id,
                                   sync_policy=f.sync_policy, cursor=cursor, limit=BULK_PAGE)
        yield from (p.sku for p in page.items)
        cursor = page.next_cursor
        if not cursor:
            return


# ---- stock changes ----------------------------------------------------------------------------

def apply_stock_changes(deps: Any, account_id: str, changes: Sequence[StockChange]) -> int:
    """Checks every change, then applies them (a SKU without a product gets one). Returns how many
    were applied: a change whose idempotency_key was seen before, or earlier in this request, is not."""
    repo = deps.repo
    get_account(deps, account_id)
    warehouses = repo.get_warehouses(account_id)
    for i, change in enumerate(changes):
        warehouse = warehouses.get(change.warehouse_id)
        if warehouse is None:  # warehouses are PUT first; there is no implicit "default" one
            raise Unprocessable(f"warehouse {change.warehouse_id} does not exist (PUT it first)",
                                field=f"changes[{i}].warehouse_id", code="unknown_warehouse")
        if warehouse.portal_id:
            raise Unprocessable(f"warehouse {change.warehouse_id} is fed by portal {warehouse.portal_id}",
                                field=f"changes[{i}].warehouse_id", code="portal_warehouse")
        if change.op == "set" and change.quantity < 0:
            raise Unprocessable("a set quantity cannot be negative", field=f"changes[{i}].quantity",
                                code="negative_quantity")
    keys: set[str] = set()
    unique: list[StockChange] = []
    for change in changes:
        if change.idempotency_key:
            if change.idempotency_key in keys:
                continue
            keys.add(change.idempotency_key)
        unique.append(change)
    return repo.apply_stock_changes(account_id, unique)


# ---- channels, rules, secrets -----------------------------------------------------------------

@dataclass(frozen=True)
class ChannelView:
    channel: Channel
    last_run: SyncRun | None = None
    webhook_url: str | None = None


def put_channel(deps: Any, channel: Channel, credentials: Mapping[str, Any],
                webhook_secret: str | None) -> tuple[ChannelView, bool]:
    """Creates or replaces a channel. Credentials and the webhook secret go to the secret store
    (SSM SecureString) only: never into the table, never into a response or a log line.

    A BigCommerce channel is stored as given; registering its webhooks on the store (POST
    /v3/hooks) comes with the BigCommerce issue.
    """
    repo = deps.repo
    get_account(deps, channel.account_id)
    channel = _checked_channel(channel, credentials)
    _check_warehouse_refs(repo.get_warehouses(channel.account_id), channel)
    _check_allocations_across_channels(repo, channel)
    if repo.account_for_channel(channel.channel_id) not in (None, channel.account_id):  # ids are global
        raise Conflict(f"channel id {channel.channel_id} is taken", field="channel_id")
    existing = repo.get_channel(channel.account_id, channel.channel_id)
    if webhook_secret is None and existing is not None:
        webhook_secret = (deps.secrets.get_channel_secret(channel.account_id, channel.channel_id) or {}).get(
            "webhook_secret")
    secret = {"credentials": dict(credentials), "webhook_secret": webhook_secret}
    if len(json.dumps(secret)) > SSM_SECURE_STRING_LIMIT:
        raise Unprocessable("credentials and webhook_secret together exceed 4 KB", field="credentials",
                            code="secret_too_large")
    # the secret first: a channel is never stored without the secret it needs
    deps.secrets.put_channel_secret(channel.account_id, channel.channel_id, secret)
    repo.put_channel(channel)
    logger.info("channel stored", extra={"account_id": channel.account_id, "channel_id": channel.channel_id,
                                         "channel_type": channel.type})
    return ChannelView(channel, None, _webhook_url(deps, channel)), existing is None


def _checked_channel(channel: Channel, credentials: Mapping[str, Any]) -> Channel:
    identity = "shop_domain" if channel.type == "shopify" else "store_hash"
    for name in (identity, "access_token"):
        value = credentials.get(name)
        if not isinstance(value, str) or not value.strip():
            raise Unprocessable(f"credentials.{name} is required for a {channel.type} channel",
                                field=f"credentials.{name}", code="missing_credential")
    value = credentials[identity].strip()
    allowed = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-."
    if any(ch not in allowed + (":" if identity == "shop_domain" else "") for ch in value) or len(value) > 255:
        raise Unprocessable(f"{identity} is not a valid {identity.replace('_', ' ')}",
                            field=f"credentials.{identity}", code="invalid_credential")
    location = _normalized_location(channel.type, channel.location_id, "location_id")
    locations = {wh: _normalized_location(channel.type, loc, f"locations.{wh}") for wh, loc in channel.locations.items()}
    if channel.api_base_url is not None:
        url = urlsplit(channel.api_base_url)
        if url.scheme not in ("http", "https") or not url.netloc or url.query or url.fragment:
            raise Unprocessable("api_base_url must be an http(s) URL without query or fragment",
                                field="api_base_url", code="invalid_url")
    rules_problem = rules_error(asdict(channel.rules), "rules")
    if rules_problem:
        raise rules_problem
    if channel.warehouses.mode == "single" and not channel.warehouses.warehouse_id:
        raise Unprocessable("mode single needs a warehouse_id", field="warehouses.warehouse_id",
                            code="missing_field")
    return replace(channel, location_id=location, locations=locations,
                   api_base_url=channel.api_base_url.rstrip("/") if channel.api_base_url else None,
                   shop_domain=value if identity == "shop_domain" else None,
                   store_hash=value if identity == "store_hash" else None)


def _normalized_location(channel_type: str, value: str, field: str) -> str:
    location = value.strip()
    if channel_type == "shopify":
        if location.isdigit():
            location = SHOPIFY_LOCATION_GID + location
        if not (location.startswith(SHOPIFY_LOCATION_GID) and location[len(SHOPIFY_LOCATION_GID):].isdigit()):
            raise Unprocessable("a Shopify location is a gid://shopify/Location/<id> GID", field=field,
                                code="invalid_location")
    elif not location.isdigit():
        raise Unprocessable("a BigCommerce location is its numeric id, as a string", field=field,
                            code="invalid_location")
    return location


def _check_warehouse_refs(warehouses: Mapping[str, Warehouse], channel: Channel) -> None:
    selection = channel.warehouses
    if selection.warehouse_id is not None and selection.warehouse_id not in warehouses:
        raise Unprocessable(f"warehouse {selection.warehouse_id} does not exist", field="warehouses.warehouse_id",
                            code="unknown_warehouse")
    for i, warehouse_id in enumerate(selection.exclude):
        if warehouse_id not in warehouses:
            raise Unprocessable(f"warehouse {warehouse_id} does not exist", field=f"warehouses.exclude[{i}]",
                                code="unknown_warehouse")
    for warehouse_id in channel.allocations:
        if warehouse_id not in warehouses:
            raise Unprocessable(f"warehouse {warehouse_id} does not exist", field=f"allocations.{warehouse_id}",
                                code="unknown_warehouse")
    for warehouse_id in channel.locations:
        if warehouse_id not in warehouses:
            raise Unprocessable(f"warehouse {warehouse_id} does not exist", field=f"locations.{warehouse_id}",
                                code="unknown_warehouse")
    if channel.sync_mode == "warehouse":
        # by warehouse, the channel shows each warehouse at its own location
        for warehouse_id in channel_warehouse_ids(channel, warehouses):
            if warehouse_id not in channel.locations:
                raise Unprocessable(f"sync_mode warehouse needs the channel location for warehouse {warehouse_id}",
                                    field=f"locations.{warehouse_id}", code="missing_location")


def _check_allocations_across_channels(repo: Any, channel: Channel) -> None:
    """By sales channel: the shares of one warehouse across channels never add up to more than
    all of it (field-docs/04), so two channels can't both sell the same unit."""
    if not channel.allocations:
        return
    shares = {c.channel_id: dict(c.allocations) for c in repo.list_channels(channel.account_id)
              if c.channel_id != channel.channel_id and c.allocations}
    shares[channel.channel_id] = dict(channel.allocations)
    allocation.validate_allocations(shares)


def rules_error(rules: Mapping[str, Any], prefix: str) -> Unprocessable | None:
    """Cross-field rule checks (ranges are checked by the request model)."""
    high, low = rules.get("max_quantity"), rules.get("min_quantity")
    if high is not None and low is not None and high < low:
        return Unprocessable("max_quantity must be at least min_quantity",
                             field=f"{prefix}.max_quantity" if prefix else "max_quantity", code="max_below_min")
    return None


def _webhook_url(deps: Any, channel: Channel) -> str | None:
    base = (deps.settings.public_url or "").rstrip("/")
    return f"{base}/webhooks/{channel.type}/{channel.channel_id}" if base else None


def get_channel(deps: Any, account_id: str, channel_id: str) -> ChannelView:
    get_account(deps, account_id)
    channel = deps.repo.get_channel(account_id, channel_id)
    if channel is None:
        raise NotFound(f"channel {channel_id} not found", field="channel_id")
    return ChannelView(channel, deps.repo.latest_run_for_channel(account_id, channel_id),
                       _webhook_url(deps, channel))


@dataclass(frozen=True)
class RuleOverride:
    channel_id: str
    sku: str
    rules: dict[str, Any]
    effective: Rules = field(default_factory=Rules)


def put_rule_override(deps: Any, account_id: str, channel_id: str, sku: str, rules: Mapping[str, Any],
                      field_prefix: str = "") -> RuleOverride:
    """Stores a per-SKU override of the channel's rules: only the given fields override."""
    repo = deps.repo
    view = get_channel(deps, account_id, channel_id)
    if repo.get_product(account_id, sku) is None:
        raise NotFound(f"product {sku} not found", field="sku")
    problem = rules_error(rules, field_prefix.rstrip("."))
    if problem:
        raise problem
    repo.put_rule_override(account_id, channel_id, sku, dict(rules))
    return RuleOverride(channel_id, sku, dict(rules), _apply_override(view.channel.rules, rules))


def get_rule_override(deps: Any, account_id: str, channel_id: str, sku: str) -> RuleOverride:
    view = get_channel(deps, account_id, channel_id)
    override = deps.repo.get_rule_overrides(account_id, channel_id, [sku]).get(sku)
    if override is None:
        raise NotFound(f"no rules override for {sku} on {channel_id}", field="sku")
    return RuleOverride(channel_id, sku, dict(override), _apply_override(view.channel.rules, override))


def _apply_override(rules: Rules, override: Mapping[str, Any]) -> Rules:
    names = {f.name for f in fields(Rules)}
    return replace(rules, **{k: v for k, v in override.items() if k in names})


# ---- sync runs (read side) ---------------------------------------------------------------------

RUN_COUNTS = ("listings", "pushed", "unchanged", "failed", "skipped_by_policy")


def list_runs(deps: Any, account_id: str, limit: int) -> list[SyncRun]:
    get_account(deps, account_id)
    return deps.repo.list_runs(account_id, limit)


def get_run(deps: Any, account_id: str, run_id: str) -> SyncRun:
    get_account(deps, account_id)
    run = deps.repo.get_run(account_id, run_id)
    if run is None:
        raise NotFound(f"run {run_id} not found", field="run_id")
    return run


def sync_history(deps: Any, account_id: str, sku: str | None, channel_id: str | None,
                 cursor: str | None, limit: int) -> Page:
    get_account(deps, account_id)
    return deps.repo.list_history_page(account_id, sku, channel_id, cursor, limit)


def check_sync_request(deps: Any, account_id: str, skus: Sequence[str] | None,
                       product_filter: ProductFilter | None) -> None:
    """Sync Now: the account exists, the listed SKUs too, and not both skus and filter."""
    get_account(deps, account_id)
    if skus is not None and product_filter is not None:
        raise Unprocessable("give skus or filter, not both", field="filter", code="skus_or_filter")
    if skus is not None:
        check_skus_exist(deps, account_id, list(dict.fromkeys(skus)))


# ---- portals ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class PortalView:
    portal: Portal
    products_imported: bool = False
    imported_at: str | None = None


def create_portal(deps: Any, portal: Portal) -> PortalView:
    """Links a supplier to a merchant and creates the merchant warehouse that holds the supplier's
    stock (`portal-{portal_id}` unless named)."""
    repo = deps.repo
    for name, account_id, kind in (("supplier_account_id", portal.supplier_account_id, AccountKind.SUPPLIER),
                                   ("merchant_account_id", portal.merchant_account_id, AccountKind.MERCHANT)):
        account = repo.get_account(account_id)
        if account is None:
            raise Unprocessable(f"account {account_id} not found", field=name, code="unknown_account")
        if account.kind != kind:
            raise Unprocessable(f"account {account_id} is not a {kind.value}", field=name, code="wrong_account_kind")
    portal = replace(portal, merchant_warehouse_id=portal.warehouse_id)
    if portal.merchant_warehouse_id in repo.get_warehouses(portal.merchant_account_id):
        raise Conflict(f"the merchant already has a warehouse {portal.merchant_warehouse_id}",
                       field="merchant_warehouse_id")
    repo.create_portal(portal)  # Conflict (field portal_id) when the id is taken
    repo.put_warehouse(portal.merchant_account_id,
                       Warehouse(portal.merchant_warehouse_id, f"Portal {portal.portal_id} ({portal.supplier_account_id})",
                                 include_in_combined=True, portal_id=portal.portal_id))
    return PortalView(portal)


def get_portal(deps: Any, portal_id: str) -> PortalView:
    portal = deps.repo.get_portal(portal_id)
    if portal is None:
        raise NotFound(f"portal {portal_id} not found", field="portal_id")
    item = deps.repo.get_portal_item(portal_id)
    return PortalView(portal, bool(item.get("products_imported", False)), item.get("imported_at"))


def import_products(deps: Any, portal: Portal) -> str:
    """Copies the merchant's products assigned to this supplier into the supplier account: a missing
    product is created (name, tags), an existing one keeps everything (its stock too) and is marked
    `imported_from_portal`. Recorded as a run of kind "bulk" in the supplier account."""
    repo = deps.repo
    supplier, merchant = portal.supplier_account_id, portal.merchant_account_id
    run_id = uuid4().hex
    repo.create_run(SyncRun(supplier, run_id, "bulk", started_at=utcnow(), expected_pages=1))
    created = marked = 0
    for sku, product in _assigned_products(repo, merchant, supplier):
        copy = Product(sku=sku, name=product.name, tags=product.tags, imported_from_portal=portal.portal_id)
        if repo.create_product_if_absent(supplier, copy):
            created += 1
        elif repo.update_product_fields(supplier, sku, {"imported_from_portal": portal.portal_id}):
            marked += 1
    repo.add_run_counts(supplier, run_id, {"products": created + marked, "created": created}, pages_done=1)
    repo.finish_run(supplier, run_id, "success")
    repo.set_portal_fields(portal.portal_id, {"products_imported": True, "imported_at": utcnow(),
                                              "imported_run_id": run_id})
    return run_id


def _assigned_products(repo: Any, merchant: str, supplier: str) -> Iterable[tuple[str, Product]]:
    cursor = None
    while True:
        page = repo.query_products(merchant, supplier_account_id=supplier, cursor=cursor, limit=BULK_PAGE)
        yield from ((p.sku, p) for p in page.items)
        cursor = page.next_cursor
        if not cursor:
            return


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)
