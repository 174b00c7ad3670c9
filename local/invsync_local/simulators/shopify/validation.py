"""Refusing bad documents and bad variables the way Shopify does.

Shopify runs graphql-ruby, so its static-validation errors carry graphql-ruby's messages and its
`extensions.code` values (`undefinedField`, `argumentLiteralsIncompatible`, ...). The simulator
validates with graphql-core (`graphql.validate`, the specified rules) and re-words each error in
graphql-ruby's form, attributing it to the rule that produced it. Rules without a well-known
graphql-ruby counterpart keep graphql-core's message and get the rule's name as code
(`UniqueArgumentNamesRule` -> `uniqueArgumentNames`).

Variables are checked separately and answered as the recorded 2026-04 capture shows
(`INVALID_VARIABLE`, with `value` and `problems`, no `data`, no cost).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Iterable

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    print_ast,
    validate,
)
from graphql.pyutils import Undefined as _UNDEFINED
from graphql.language import (
    ArgumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    Node,
    ObjectFieldNode,
    Visitor,
    visit,
)
from graphql.type import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
)
from graphql.utilities import TypeInfo, type_from_ast
from graphql.utilities.type_info import TypeInfoVisitor
from graphql.validation import specified_rules


def format_error(error: GraphQLError, extensions: dict | None = None, path: list | None = None) -> dict:
    """A GraphQLError as Shopify orders its keys: message, locations, extensions, path."""
    out: dict[str, Any] = {"message": error.message}
    if error.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    ext = extensions if extensions is not None else error.extensions
    if ext:
        out["extensions"] = ext
    p = path if path is not None else error.path
    if p is not None:
        out["path"] = list(p)
    return out


# --------------------------------------------------------------------------- static validation


class _Context(Visitor):
    """Records, for every AST node, the type information and ancestors seen when entering it."""

    def __init__(self, type_info: TypeInfo):
        super().__init__()
        self.type_info = type_info
        self.by_node: dict[int, dict[str, Any]] = {}

    def enter(self, node, key, parent, path, ancestors):  # noqa: D401 - visitor hook
        ti = self.type_info
        self.by_node[id(node)] = {
            "parent_type": ti.get_parent_type(),
            "field_def": ti.get_field_def(),
            "argument": ti.get_argument(),
            "input_type": ti.get_input_type(),
            "directive": ti.get_directive(),
            # graphql-core's `ancestors` stops before the direct parent
            "ancestors": [a for a in (*ancestors, parent) if isinstance(a, Node)],
        }


def _ruby_path(ctx: dict[str, Any] | None, node: Node) -> list[str]:
    if ctx is None:
        return []
    path: list[str] = []
    for a in [*ctx["ancestors"], node]:
        if isinstance(a, OperationDefinitionNode):
            op = a.operation.value
            path.append(f"{op} {a.name.value}" if a.name else op)
        elif isinstance(a, FragmentDefinitionNode):
            path.append(f"fragment {a.name.value}")
        elif isinstance(a, FieldNode):
            path.append(a.name.value)
        elif isinstance(a, ArgumentNode):
            path.append(a.name.value)
        elif isinstance(a, ObjectFieldNode):
            path.append(a.name.value)
        elif isinstance(a, InlineFragmentNode):
            path.append(f"... on {a.type_condition.name.value}" if a.type_condition else "...")
        elif isinstance(a, FragmentSpreadNode):
            path.append(f"... {a.name.value}")
    return path


def _enclosing(ctx: dict[str, Any] | None, kind: type) -> Node | None:
    if ctx is None:
        return None
    for a in reversed(ctx["ancestors"]):
        if isinstance(a, kind):
            return a
    return None


def _rule_code(rule_name: str) -> str:
    base = rule_name[:-4] if rule_name.endswith("Rule") else rule_name
    return base[:1].lower() + base[1:]


def _rewrite(rule_name: str, error: GraphQLError, ctx: dict[str, Any] | None) -> tuple[str, dict]:
    """graphql-ruby's message and extensions for one graphql-core validation error."""
    msg = error.message
    node = error.nodes[0] if error.nodes else None

    if rule_name == "FieldsOnCorrectTypeRule":
        m = re.match(r"Cannot query field '([^']+)' on type '([^']+)'", msg)
        if m:
            field, type_name = m.groups()
            return (f"Field '{field}' doesn't exist on type '{type_name}'",
                    {"code": "undefinedField", "typeName": type_name, "fieldName": field})
    if rule_name == "KnownArgumentNamesRule":
        m = re.match(r"Unknown argument '([^']+)' on field '([^'.]+)\.([^']+)'", msg)
        if m:
            arg, _, field = m.groups()
            return (f"Field '{field}' doesn't accept argument '{arg}'",
                    {"code": "argumentNotAccepted", "name": field, "typeName": "Field", "argumentName": arg})
        m = re.match(r"Unknown argument '([^']+)' on directive '@([^']+)'", msg)
        if m:
            arg, directive = m.groups()
            return (f"Directive '@{directive}' doesn't accept argument '{arg}'",
                    {"code": "argumentNotAccepted", "name": directive, "typeName": "Directive",
                     "argumentName": arg})
    if rule_name == "ProvidedRequiredArgumentsRule":
        m = re.match(r"Field '([^']+)' argument '([^']+)' of type", msg)
        if m:
            field, arg = m.groups()
            return (f"Field '{field}' is missing required arguments: {arg}",
                    {"code": "missingRequiredArguments", "className": "Field", "name": field,
                     "arguments": arg})
        m = re.match(r"Directive '@([^']+)' argument '([^']+)' of type", msg)
        if m:
            directive, arg = m.groups()
            return (f"Directive '@{directive}' is missing required arguments: {arg}",
                    {"code": "missingRequiredArguments", "className": "Directive", "name": directive,
                     "arguments": arg})
    if rule_name == "ValuesOfCorrectTypeRule":
        argument = _enclosing(ctx, ArgumentNode) if not isinstance(node, ArgumentNode) else node
        if argument is not None:
            arg_ctx_field = _enclosing(ctx, FieldNode)
            owner = (f"Field '{arg_ctx_field.name.value}'" if arg_ctx_field is not None else "Directive")
            arg_def = ctx.get("argument") if ctx else None
            expected = str(arg_def.type) if arg_def is not None else "?"
            return (f"Argument '{argument.name.value}' on {owner} has an invalid value "
                    f"({print_ast(argument.value)}). Expected type '{expected}'.",
                    {"code": "argumentLiteralsIncompatible", "typeName": "Field" if arg_ctx_field else
                     "Directive", "argumentName": argument.name.value})
    if rule_name == "KnownTypeNamesRule":
        m = re.match(r"Unknown type '([^']+)'", msg)
        if m:
            return (f"No such type {m.group(1)}, so it can't be a variable type",
                    {"code": "undefinedType", "typeName": m.group(1)})
    if rule_name == "ScalarLeafsRule":
        m = re.match(r"Field '([^']+)' of type '([^']+)' must have a selection of subfields", msg)
        if m:
            field, type_name = m.groups()
            return (f"Field must have selections (field '{field}' returns {type_name} but has no "
                    f"selections. Did you mean '{field} {{ ... }}'?)",
                    {"code": "selectionMismatch", "nodeName": f"field '{field}'", "typeName": type_name})
        m = re.match(r"Field '([^']+)' must not have a selection since type '([^']+)' has no subfields", msg)
        if m:
            field, type_name = m.groups()
            return (f"Selections can't be made on scalars (field '{field}' returns {type_name} but has "
                    f"selections [...])",
                    {"code": "selectionMismatch", "nodeName": f"field '{field}'", "typeName": type_name})
    if rule_name == "VariablesInAllowedPositionRule":
        m = re.match(r"Variable '\$([^']+)' of type '([^']+)' used in position expecting type '([^']+)'", msg)
        if m:
            var, var_type, expected = m.groups()
            argument = _enclosing(ctx, ArgumentNode)
            arg_name = argument.name.value if argument is not None else "?"
            return (f"Type mismatch on variable ${var} and argument {arg_name} ({var_type} / {expected})",
                    {"code": "variableMismatch", "variableName": var, "typeName": var_type,
                     "argumentName": arg_name, "errorMessage": "Type mismatch"})
    if rule_name == "NoUndefinedVariablesRule":
        m = re.match(r"Variable '\$([^']+)' is not defined(?: by operation '([^']+)')?", msg)
        if m:
            var, op = m.groups()
            return (f"Variable ${var} is used by {op or 'anonymous query'} but not declared",
                    {"code": "variableNotDefined", "variableName": var})
    if rule_name == "NoUnusedVariablesRule":
        m = re.match(r"Variable '\$([^']+)' is never used(?: in operation '([^']+)')?", msg)
        if m:
            var, op = m.groups()
            return (f"Variable ${var} is declared by {op or 'anonymous query'} but not used",
                    {"code": "variableNotUsed", "variableName": var})
    if rule_name == "KnownDirectivesRule":
        m = re.match(r"Unknown directive '@([^']+)'", msg)
        if m:
            return (f"Directive @{m.group(1)} is not defined",
                    {"code": "undefinedDirective", "directiveName": m.group(1)})
        m = re.match(r"Directive '@([^']+)' may not be used on (\w+)", msg)
        if m:
            return (f"'@{m.group(1)}' can't be applied to {m.group(2).lower()}",
                    {"code": "directiveCannotBeApplied", "targetName": m.group(2).lower(),
                     "name": m.group(1)})
    return msg, {"code": _rule_code(rule_name)}


def validate_document(schema: GraphQLSchema, document: DocumentNode) -> list[dict]:
    """Shopify-shaped errors for a document that fails static validation; [] when it is valid."""
    if not validate(schema, document):
        return []
    type_info = TypeInfo(schema)
    ctx = _Context(type_info)
    visit(document, TypeInfoVisitor(type_info, ctx))
    out: list[dict] = []
    seen: set[tuple] = set()
    for rule in specified_rules:
        for error in validate(schema, document, rules=[rule]):
            node = error.nodes[0] if error.nodes else None
            node_ctx = ctx.by_node.get(id(node)) if node is not None else None
            message, extensions = _rewrite(rule.__name__, error, node_ctx)
            locs = tuple((loc.line, loc.column) for loc in (error.locations or []))
            if (message, locs) in seen:
                continue
            seen.add((message, locs))
            formatted = format_error(error, extensions=extensions,
                                     path=_ruby_path(node_ctx, node) if node is not None else None)
            formatted["message"] = message
            out.append(formatted)
    return out


# --------------------------------------------------------------------------- variables


def _type_signature(t: GraphQLInputType) -> str:
    return str(t)


def _problems(value: Any, t: GraphQLInputType, path: list, out: list[dict]) -> None:
    if isinstance(t, GraphQLNonNull):
        if value is None:
            out.append({"path": path, "explanation": "Expected value to not be null"})
            return
        _problems(value, t.of_type, path, out)
        return
    if value is None:
        return
    if isinstance(t, GraphQLList):
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            _problems(item, t.of_type, [*path, i] if isinstance(value, list) else path, out)
        return
    if isinstance(t, GraphQLInputObjectType):
        if not isinstance(value, dict):
            out.append({"path": path, "explanation": f"Expected {json.dumps(value)} to be a key-value object."})
            return
        for key in value:
            if key not in t.fields:
                out.append({"path": [*path, key], "explanation": f"Field is not defined on {t.name}"})
        for name, field in t.fields.items():
            if name in value:
                _problems(value[name], field.type, [*path, name], out)
            elif isinstance(field.type, GraphQLNonNull) and field.default_value is _UNDEFINED:
                out.append({"path": [*path, name], "explanation": "Expected value to not be null"})
        return
    if isinstance(t, GraphQLEnumType):
        if not isinstance(value, str) or value not in t.values:
            allowed = ", ".join(t.values)
            out.append({"path": path, "explanation": f"Expected {json.dumps(value)} to be one of: {allowed}"})
        return
    if isinstance(t, GraphQLScalarType):
        ok = True
        if t.name == "Int":
            ok = isinstance(value, int) and not isinstance(value, bool) and -(2**31) <= value < 2**31
            if isinstance(value, float) and value.is_integer() and math.isfinite(value):
                ok = -(2**31) <= value < 2**31
        elif t.name == "Float":
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        elif t.name == "String":
            ok = isinstance(value, str)
        elif t.name == "Boolean":
            ok = isinstance(value, bool)
        elif t.name == "ID":
            ok = isinstance(value, (str, int)) and not isinstance(value, bool)
        if not ok:
            out.append({"path": path, "explanation": f"Could not coerce value {json.dumps(value)} to {t.name}"})



def check_variables(schema: GraphQLSchema, operation: OperationDefinitionNode,
                    raw: dict[str, Any]) -> list[dict]:
    """INVALID_VARIABLE errors, shaped as in the recorded 2026-04 capture (`legacySetShape`)."""
    errors: list[dict] = []
    for var_def in operation.variable_definitions or ():
        name = var_def.variable.name.value
        t = type_from_ast(schema, var_def.type)
        if t is None:
            continue
        if name in raw:
            value = raw[name]
        elif var_def.default_value is not None:
            continue
        else:
            value = None
        problems: list[dict] = []
        _problems(value, t, [], problems)
        if not problems:
            continue
        message = f"Variable ${name} of type {_type_signature(t)} was provided invalid value"
        detailed = [p for p in problems if p["path"]]
        if detailed:
            message += " for " + ", ".join(
                f"{'.'.join(str(x) for x in p['path'])} ({p['explanation']})" for p in detailed)
        loc = var_def.loc.source.get_location(var_def.loc.start) if var_def.loc else None
        err: dict[str, Any] = {"message": message}
        if loc is not None:
            err["locations"] = [{"line": loc.line, "column": loc.column}]
        err["extensions"] = {"code": "INVALID_VARIABLE", "value": value, "problems": problems}
        errors.append(err)
    return errors


def select_operation(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode | str:
    """The operation to run, or the graphql-ruby error message when it cannot be chosen."""
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        for op in ops:
            if op.name and op.name.value == operation_name:
                return op
        return f'No operation named "{operation_name}"'
    if len(ops) == 1:
        return ops[0]
    if not ops:
        return "No operations in this document"
    return "An operation name is required"


def node_location(node: Node) -> dict | None:
    if node is None or node.loc is None:
        return None
    loc = node.loc.source.get_location(node.loc.start)
    return {"line": loc.line, "column": loc.column}


def locations_of(nodes: Iterable[Node]) -> list[dict]:
    return [loc for loc in (node_location(n) for n in nodes) if loc is not None]
