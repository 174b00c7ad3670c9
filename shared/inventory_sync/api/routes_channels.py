"""Channels (credentials and webhook secret are write-only) and per-SKU rule overrides."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from inventory_sync.api import mapping, models as m
from inventory_sync.api.paths import AccountIdPath, IdPath, SkuPath
from inventory_sync.api.routing import BEARER, deps, doc, in_account, new_router, respond
from inventory_sync.errors import Unprocessable
from inventory_sync.services import catalog

router = new_router()
TAGS = ["channels"]


@router.put("/v1/accounts/<account_id>/channels/<channel_id>", tags=TAGS, security=BEARER,
            summary="Create or replace a sales channel (Shopify, BigCommerce)",
            description="credentials and webhook_secret are stored in SSM SecureString and never returned. "
                        "A BigCommerce channel is stored as given; its webhook registration comes later.",
            responses={**doc(200, m.ChannelOut, "Replaced"), **doc(201, m.ChannelOut, "Created")})
def put_channel(account_id: AccountIdPath, channel_id: IdPath, body: Annotated[m.ChannelIn, Body()]):
    in_account(router, account_id)
    view, created = catalog.put_channel(deps(), mapping.channel_from(account_id, channel_id, body),
                                        body.credentials, body.webhook_secret)
    return respond(201 if created else 200, mapping.channel_out(view))


@router.get("/v1/accounts/<account_id>/channels/<channel_id>", tags=TAGS, security=BEARER,
            summary="A channel's configuration (no secrets) and its last run",
            responses=doc(200, m.ChannelOut, "The channel"))
def get_channel(account_id: AccountIdPath, channel_id: IdPath):
    in_account(router, account_id)
    return respond(200, mapping.channel_out(catalog.get_channel(deps(), account_id, channel_id)))


@router.put("/v1/accounts/<account_id>/channels/<channel_id>/rules/<sku>", tags=TAGS, security=BEARER,
            summary="Override some of the channel's rules for one SKU",
            responses=doc(200, m.RuleOverrideOut, "The override and the rules in effect"))
def put_rules(account_id: AccountIdPath, channel_id: IdPath, sku: SkuPath,
              body: Annotated[m.RulesOverrideIn, Body()]):
    in_account(router, account_id)
    rules, prefix = mapping.rules_override_from(body)
    for name, value in rules.items():
        if value is None and name != "max_quantity":
            raise Unprocessable(f"{name} cannot be null", field=prefix + name, code="null_field")
    override = catalog.put_rule_override(deps(), account_id, channel_id, sku, rules, field_prefix=prefix)
    return respond(200, mapping.rule_override_out(override))


@router.get("/v1/accounts/<account_id>/channels/<channel_id>/rules/<sku>", tags=TAGS, security=BEARER,
            summary="A SKU's rules override on a channel",
            responses=doc(200, m.RuleOverrideOut, "The override and the rules in effect"))
def get_rules(account_id: AccountIdPath, channel_id: IdPath, sku: SkuPath):
    in_account(router, account_id)
    return respond(200, mapping.rule_override_out(catalog.get_rule_override(deps(), account_id, channel_id, sku)))
