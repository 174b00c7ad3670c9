"""Query cost, as Shopify's calculated-cost model describes it (channel-apis.md 1.3).

The simulator's model, computed from the validated document and the coerced variables:

* scalars and enums cost 0;
* an object costs 1 when its type is a resource (implements `Node`, or is an abstract type),
  0 when it is a value object (payloads, `UserError`s, `PageInfo`, `InventoryChange`, edges ...);
* a connection (a `...Connection` type) costs 2 + `first`/`last` x (the cost of one node);
* a plain list sized by an argument (`nodes(ids:)`, `fulfillments(first:)`) costs
  len(ids) / `first` x (the cost of one element); any other list is counted once;
* a mutation field costs 10 plus its selection.

With this model the production client's `inventorySetQuantities` document costs 13, which is what
the recorded 2026-04 capture shows for the same selection (10 + adjustment group + item + location),
and an answer whose payload is null costs 10, as the capture's errors do.

The *requested* cost is computed before execution (and checked against the 1000-point single query
limit and the bucket); the *actual* cost walks the result the same way, counting only the objects
returned (a connection's real page size, nothing for null), and the difference is refunded.

While estimating, the walker also reports every input list longer than Shopify's 250-item limit
("Input arguments that accept an array have a maximum size of 250").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLIncludeDirective,
    GraphQLSchema,
    GraphQLSkipDirective,
    OperationDefinitionNode,
)
from graphql.execution.values import get_argument_values, get_directive_values
from graphql.language import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationType,
    SelectionSetNode,
)
from graphql.type import (
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLObjectType,
    GraphQLUnionType,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
)

MUTATION_COST = 10
CONNECTION_OVERHEAD = 2
MAX_INPUT_ARRAY_SIZE = 250

_ESTIMATE = object()


@dataclass(frozen=True)
class OversizedInput:
    path: list[str]  # response path of the field, then the argument path
    size: int
    node: FieldNode


@dataclass
class CostCalculator:
    schema: GraphQLSchema
    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    variables: dict[str, Any]
    oversized: list[OversizedInput] = field(default_factory=list)

    def requested(self) -> int:
        self.oversized = []
        return self._root(_ESTIMATE)

    def actual(self, data: Any) -> int:
        if not isinstance(data, dict):
            return 0
        return self._root(data)

    # ------------------------------------------------------------------ walking

    def _root(self, data: Any) -> int:
        is_mutation = self.operation.operation == OperationType.MUTATION
        root = self.schema.mutation_type if is_mutation else self.schema.query_type
        return self._selection(root, self.operation.selection_set, data, [], mutation_root=is_mutation)

    def _included(self, node) -> bool:
        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        if skip and skip.get("if") is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        if include and include.get("if") is False:
            return False
        return True

    def _fields(self, parent, selection_set: SelectionSetNode | None):
        if selection_set is None:
            return
        for sel in selection_set.selections:
            if not self._included(sel):
                continue
            if isinstance(sel, FieldNode):
                yield parent, sel
            elif isinstance(sel, InlineFragmentNode):
                t = self.schema.get_type(sel.type_condition.name.value) if sel.type_condition else parent
                yield from self._fields(t, sel.selection_set)
            elif isinstance(sel, FragmentSpreadNode):
                frag = self.fragments.get(sel.name.value)
                if frag is not None:
                    yield from self._fields(self.schema.get_type(frag.type_condition.name.value),
                                            frag.selection_set)

    def _selection(self, parent, selection_set, data, path, mutation_root=False) -> int:
        return sum(self._field(p, node, data, path, mutation_root) for p, node in self._fields(parent, selection_set))

    @staticmethod
    def _own(named) -> int:
        if isinstance(named, (GraphQLUnionType,)):
            return 1
        if isinstance(named, GraphQLInterfaceType):
            return 1 if named.name == "Node" or any(i.name == "Node" for i in named.interfaces) else 0
        if isinstance(named, GraphQLObjectType):
            return 1 if any(i.name == "Node" for i in named.interfaces) else 0
        return 0

    @staticmethod
    def _is_connection(named) -> bool:
        return (isinstance(named, GraphQLObjectType) and named.name.endswith("Connection")
                and "pageInfo" in named.fields and ("nodes" in named.fields or "edges" in named.fields))

    def _field(self, parent, node: FieldNode, data, path, mutation_root: bool) -> int:
        name = node.name.value
        if name.startswith("__") or not isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
            return 0
        fdef = parent.fields.get(name)
        if fdef is None:
            return 0
        key = node.alias.value if node.alias else name
        try:
            args = get_argument_values(fdef, node, self.variables)
        except Exception:  # invalid arguments are reported by execution, not here
            args = {}
        estimating = data is _ESTIMATE
        if estimating:
            self._check_sizes(args, [*path, key], node)
        named = get_named_type(fdef.type)
        if is_leaf_type(named):
            return 0
        base = MUTATION_COST if mutation_root else 0
        if estimating:
            sub = _ESTIMATE
        else:
            if not isinstance(data, dict) or data.get(key) is None:
                return base  # a mutation that ran and failed still costs its 10 points
            sub = data[key]
        if self._is_connection(named):
            return base + self._connection(named, node, args, sub, [*path, key])
        if isinstance(get_nullable_type(fdef.type), GraphQLList):
            size = self._list_size(args)

            def per(elem: Any) -> int:
                return self._own(named) + self._selection(named, node.selection_set, elem, [*path, key])

            if estimating:
                return base + (size if size is not None else 1) * per(_ESTIMATE)
            elements = [e for e in _flatten(sub) if e is not None]
            if size is None:
                return base + (per(elements[0]) if elements else 0)
            return base + sum(per(e) for e in elements)
        return base + self._own(named) + self._selection(named, node.selection_set, sub, [*path, key])

    @staticmethod
    def _list_size(args: dict) -> int | None:
        ids = args.get("ids")
        if isinstance(ids, list):
            return len(ids)
        for k in ("first", "last"):
            if isinstance(args.get(k), int):
                return max(args[k], 0)
        return None

    def _connection(self, conn_type: GraphQLObjectType, node: FieldNode, args: dict, sub, path) -> int:
        n = args.get("first") if isinstance(args.get("first"), int) else args.get("last")
        n = max(n, 0) if isinstance(n, int) else 0
        parts: list[int] = []
        for parent, child in self._fields(conn_type, node.selection_set):
            cname = child.name.value
            if cname not in ("nodes", "edges"):
                continue
            elem_type = get_named_type(conn_type.fields[cname].type)
            ckey = child.alias.value if child.alias else cname
            own = self._own(elem_type)
            if sub is _ESTIMATE:
                parts.append(n * (own + self._selection(elem_type, child.selection_set, _ESTIMATE, [*path, ckey])))
            else:
                elems = sub.get(ckey) or [] if isinstance(sub, dict) else []
                parts.append(sum(own + self._selection(elem_type, child.selection_set, e, [*path, ckey])
                                 for e in elems if e is not None))
        return CONNECTION_OVERHEAD + max(parts, default=0)

    def _check_sizes(self, value: Any, path: list[str], node: FieldNode) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                self._check_sizes(v, [*path, k], node)
        elif isinstance(value, list):
            if len(value) > MAX_INPUT_ARRAY_SIZE:
                self.oversized.append(OversizedInput(path=path, size=len(value), node=node))
            for v in value:
                if isinstance(v, (dict, list)):
                    self._check_sizes(v, path, node)


def _flatten(value: Any):
    if isinstance(value, list):
        for v in value:
            yield from _flatten(v)
    else:
        yield value
