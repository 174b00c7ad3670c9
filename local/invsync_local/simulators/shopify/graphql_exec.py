"""One Admin GraphQL request, from body to answer, in the order Shopify checks things.

1. No query -> HTTP 400 `{"errors": {"query": "Required parameter missing or invalid"}}`.
2. Parse and static validation against the real 2026-07 schema (`graphql.validate`): answered
   with graphql-ruby-style errors (`validation.py`), no `data`, no cost, nothing charged.
3. Variables: `INVALID_VARIABLE` errors shaped as the recorded capture (no `data`, no cost).
4. Requested cost (`costs.py`). Over the single-query limit (1000) -> `MAX_COST_EXCEEDED`.
   An input list over 250 items -> `MAX_INPUT_SIZE_EXCEEDED` (no execution). Neither is charged.
5. The shop's leaky bucket must hold the requested cost, else `THROTTLED` with
   `actualQueryCost: null` and HTTP 200 (the status is the shop's `throttle_status_code`: real
   Shopify has been reported to answer 429 too, so clients must detect the code, not the status).
6. Execute with graphql-core's executor and the resolvers in `resolvers.py`; refund
   requested - actual to the bucket.

Every answer from step 4 on carries `extensions.cost {requestedQueryCost, actualQueryCost,
throttleStatus {maximumAvailable, currentlyAvailable, restoreRate}}`. Steps 1-3 carry none: the
recorded INVALID_VARIABLE answer has no `extensions`, and the simulator treats the other
pre-execution refusals (parse and validation errors) the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError, execute, parse
from graphql.error import GraphQLSyntaxError
from graphql.execution.values import get_argument_values, get_variable_values
from graphql.language import FieldNode, FragmentDefinitionNode, OperationType

from .costs import MAX_INPUT_ARRAY_SIZE, CostCalculator
from .resolvers import Ctx, Root, resolve_type
from .schema import load_schema
from .state import RequestLogEntry, Shop, SimulatorState
from .validation import check_variables, format_error, locations_of, select_operation, validate_document

RATE_LIMIT_DOCS = "https://shopify.dev/api/usage/rate-limits"


@dataclass
class GraphQLAnswer:
    status: int
    body: Any
    log: RequestLogEntry
    touched_orders: list[int]


def _codes(errors: list[dict]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in errors if isinstance(e, dict) and e.get("extensions")]


def _root_fields(operation) -> list[str]:
    return [s.name.value for s in operation.selection_set.selections if isinstance(s, FieldNode)]


def _quantities_sent(schema, operation, variables) -> int | None:
    """How many quantities an inventorySetQuantities call carries (for the request log)."""
    if operation.operation != OperationType.MUTATION:
        return None
    total = None
    for sel in operation.selection_set.selections:
        if isinstance(sel, FieldNode) and sel.name.value == "inventorySetQuantities":
            try:
                args = get_argument_values(schema.mutation_type.fields["inventorySetQuantities"], sel, variables)
            except GraphQLError:
                continue
            total = (total or 0) + len((args.get("input") or {}).get("quantities") or [])
    return total


def handle_graphql(state: SimulatorState, shop: Shop, body: Any, api_version: str) -> GraphQLAnswer:
    """Run one request against one shop. The caller holds `state.lock`."""
    now = state.now()
    log = RequestLogEntry(
        seq=state.next_seq(), shop_domain=shop.domain, at=now, api_version=api_version, operation_name=None,
        operation_type=None, root_fields=[], requested_cost=None, actual_cost=None, throttled=False, status=200,
        error_codes=[], quantities=None, idempotency_key=None, idempotent_replay=False, currently_available=None,
    )
    state.request_log.append(log)

    def answer(status: int, payload: Any, touched: list[int] | None = None) -> GraphQLAnswer:
        log.status = status
        if isinstance(payload, dict) and isinstance(payload.get("errors"), list):
            log.error_codes = _codes(payload["errors"])
        log.currently_available = int(shop.bucket.refill(now))
        return GraphQLAnswer(status, payload, log, touched or [])

    query = body.get("query") if isinstance(body, dict) else None
    if not isinstance(query, str) or not query.strip():
        return answer(400, {"errors": {"query": "Required parameter missing or invalid"}})
    raw_variables = body.get("variables") or {}
    if not isinstance(raw_variables, dict):
        return answer(400, {"errors": {"variables": "Required parameter missing or invalid"}})
    operation_name = body.get("operationName") or None

    schema = load_schema()
    try:
        document = parse(query)
    except GraphQLSyntaxError as exc:
        return answer(200, {"errors": [format_error(exc, extensions={})]})
    errors = validate_document(schema, document)
    if errors:
        return answer(200, {"errors": errors})
    operation = select_operation(document, operation_name)
    if isinstance(operation, str):
        return answer(200, {"errors": [{"message": operation}]})
    log.operation_name = operation.name.value if operation.name else None
    log.operation_type = operation.operation.value
    log.root_fields = _root_fields(operation)
    if operation.operation == OperationType.SUBSCRIPTION:
        return answer(200, {"errors": [{"message": "Subscriptions are not supported over HTTP.",
                                        "locations": locations_of([operation])}]})
    var_errors = check_variables(schema, operation, raw_variables)
    if var_errors:
        return answer(200, {"errors": var_errors})
    coerced = get_variable_values(schema, operation.variable_definitions or [], raw_variables)
    if isinstance(coerced, list):  # anything check_variables did not foresee
        return answer(200, {"errors": [format_error(e, extensions={"code": "INVALID_VARIABLE"}) for e in coerced]})

    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    calc = CostCalculator(schema, operation, fragments, coerced)
    requested = calc.requested()
    log.requested_cost = requested
    log.quantities = _quantities_sent(schema, operation, coerced)

    def cost(actual: int | None) -> dict[str, Any]:
        return {"cost": {"requestedQueryCost": requested, "actualQueryCost": actual,
                         "throttleStatus": shop.bucket.status(now)}}

    if requested > shop.max_query_cost:
        return answer(200, {
            "errors": [{
                "message": f"Query cost is {requested}, which exceeds the single query max cost limit "
                           f"({shop.max_query_cost}).",
                "extensions": {"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": shop.max_query_cost,
                               "documentation": RATE_LIMIT_DOCS},
            }],
            "extensions": cost(None),
        })
    if calc.oversized:
        return answer(200, {
            "errors": [{
                "message": f"The input array size of {o.size} is greater than the maximum allowed of "
                           f"{MAX_INPUT_ARRAY_SIZE}.",
                "locations": locations_of([o.node]),
                "extensions": {"code": "MAX_INPUT_SIZE_EXCEEDED"},
                "path": o.path,
            } for o in calc.oversized],
            "extensions": cost(None),
        })
    if not shop.bucket.take(requested, now):
        log.throttled = True
        return answer(shop.throttle_status_code, {
            "errors": [{"message": "Throttled",
                        "extensions": {"code": "THROTTLED", "documentation": RATE_LIMIT_DOCS}}],
            "extensions": cost(None),
        })

    ctx = Ctx(state=state, shop=shop, now=now)
    result = execute(schema, document, root_value=Root(ctx), variable_values=raw_variables,
                     operation_name=operation_name, type_resolver=resolve_type)
    actual = min(requested, calc.actual(result.data))
    shop.bucket.refund(requested - actual, now)
    log.actual_cost = actual
    log.idempotency_key = ctx.idempotency_key
    log.idempotent_replay = ctx.idempotent_replay
    payload: dict[str, Any] = {}
    if result.errors:
        payload["errors"] = [format_error(e) for e in result.errors]
    payload["data"] = result.data
    payload["extensions"] = cost(actual)
    return answer(200, payload, ctx.touched_orders)
