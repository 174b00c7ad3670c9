"""Read template.yaml: CloudFormation short-form tags, intrinsic functions, functions and their events.

template.yaml is the single source of truth for the local runtime: tables, queues, secrets,
routes, event sources and schedules are all read from here, never from a second list.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import yaml

__all__ = [
    "NO_VALUE",
    "EventSource",
    "FunctionSpec",
    "Resolver",
    "Template",
    "TemplateError",
    "load_template",
    "load_yaml",
    "creation_order",
]


class TemplateError(ValueError):
    """The template uses something the local runtime cannot resolve."""


# --------------------------------------------------------------------------------------------
# YAML loading with CloudFormation short-form tags
# --------------------------------------------------------------------------------------------


class CfnLoader(yaml.SafeLoader):
    """A SafeLoader that turns `!Ref x` into `{"Ref": "x"}`, `!Sub s` into `{"Fn::Sub": s}`, ..."""


def _construct_node(loader: CfnLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]


def _cfn_tag(loader: CfnLoader, tag_suffix: str, node: yaml.Node) -> Any:
    value = _construct_node(loader, node)
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "Condition":
        return {"Condition": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        # `!GetAtt Res.Attr` (the attribute itself may contain dots: Endpoint.Address)
        logical_id, _, attribute = value.partition(".")
        return {"Fn::GetAtt": [logical_id, attribute]}
    return {f"Fn::{tag_suffix}": value}


def _timestamp_as_text(loader: CfnLoader, node: yaml.Node) -> str:
    # CloudFormation keeps `2010-09-09` as text; PyYAML would make a date of it.
    return loader.construct_scalar(node)  # type: ignore[arg-type]


CfnLoader.add_multi_constructor("!", _cfn_tag)
CfnLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


def load_yaml(text: str) -> dict[str, Any]:
    data = yaml.load(text, Loader=CfnLoader)  # noqa: S506 - CfnLoader derives from SafeLoader
    if not isinstance(data, dict):
        raise TemplateError("template is not a mapping")
    return data


# --------------------------------------------------------------------------------------------
# Intrinsic functions
# --------------------------------------------------------------------------------------------


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()
_SUB_VAR = re.compile(r"\$\{([^}]*)\}")
_INTRINSICS = {
    "Ref",
    "Condition",
    "Fn::GetAtt",
    "Fn::Sub",
    "Fn::Join",
    "Fn::Select",
    "Fn::Split",
    "Fn::If",
    "Fn::Not",
    "Fn::Equals",
    "Fn::And",
    "Fn::Or",
    "Fn::FindInMap",
    "Fn::Base64",
    "Fn::GetAZs",
    "Fn::ImportValue",
    "Fn::ToJsonString",
    "Fn::Length",
    "Fn::Cidr",
    "Fn::Transform",
}

# (logical_id, attribute or "Ref") -> value; returns None when the attribute is unknown.
AttributeLookup = Callable[[str, str], Any]


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class Resolver:
    """Resolves intrinsic functions against parameters, pseudo parameters and resource attributes.

    Resource attributes come from `lookup(logical_id, attribute)`: the runtime registers the
    physical names, ARNs and URLs of what it created; `attribute == "Ref"` is the `!Ref` value.
    """

    def __init__(
        self,
        template: "Template",
        *,
        region: str,
        account_id: str,
        stack_name: str,
        lookup: AttributeLookup,
        parameter_overrides: Mapping[str, str] | None = None,
    ) -> None:
        self.template = template
        self.region = region
        self.account_id = account_id
        self.stack_name = stack_name
        self._lookup = lookup
        self._overrides = dict(parameter_overrides or {})
        self._conditions: dict[str, bool] = {}

    # -- parameters and pseudo parameters --------------------------------------------------

    def parameter(self, name: str) -> str:
        if name in self._overrides:
            return str(self._overrides[name])
        spec = self.template.parameters.get(name)
        if spec is None:
            raise TemplateError(f"unknown parameter {name!r}")
        if "Default" not in spec:
            raise TemplateError(
                f"parameter {name!r} has no Default; set INVSYNC_PARAM_{name} to run locally"
            )
        default = spec["Default"]
        if isinstance(default, list):
            return ",".join(_as_text(v) for v in default)
        return _as_text(default)

    def pseudo(self, name: str) -> Any:
        values = {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": self.stack_name,
            "AWS::StackId": (
                f"arn:aws:cloudformation:{self.region}:{self.account_id}:stack/{self.stack_name}/local"
            ),
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
        }
        if name not in values:
            raise TemplateError(f"unknown pseudo parameter {name!r}")
        return values[name]

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            spec = self.template.conditions.get(name)
            if spec is None:
                raise TemplateError(f"unknown condition {name!r}")
            self._conditions[name] = bool(self.resolve(spec))
        return self._conditions[name]

    # -- references ---------------------------------------------------------------------------

    def ref(self, name: str) -> Any:
        if name.startswith("AWS::"):
            return self.pseudo(name)
        if name in self.template.parameters:
            return self.parameter(name)
        if name in self.template.resources:
            value = self._lookup(name, "Ref")
            if value is None:
                raise TemplateError(f"no local value for !Ref {name}")
            return value
        raise TemplateError(f"!Ref to unknown name {name!r}")

    def get_att(self, logical_id: str, attribute: str) -> Any:
        if logical_id not in self.template.resources:
            raise TemplateError(f"!GetAtt of unknown resource {logical_id!r}")
        value = self._lookup(logical_id, attribute)
        if value is None:
            raise TemplateError(f"no local value for !GetAtt {logical_id}.{attribute}")
        return value

    # -- the resolver proper --------------------------------------------------------------

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self.resolve(v) for v in value]
            return [v for v in items if v is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (key, arg), = value.items()
            if key in _INTRINSICS:
                return self._intrinsic(key, arg)
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}

    def _intrinsic(self, key: str, arg: Any) -> Any:
        if key == "Ref":
            return self.ref(self._text(arg))
        if key == "Condition":
            return self.condition(self._text(arg))
        if key == "Fn::GetAtt":
            if isinstance(arg, str):
                logical_id, _, attribute = arg.partition(".")
            else:
                logical_id, attribute = (self.resolve(a) for a in arg)
            return self.get_att(logical_id, attribute)
        if key == "Fn::Sub":
            return self._sub(arg)
        if key == "Fn::Join":
            sep, items = arg
            return self.resolve(sep).join(_as_text(v) for v in self._list(items))
        if key == "Fn::Select":
            index, items = arg
            return self._list(items)[int(self.resolve(index))]
        if key == "Fn::Split":
            sep, text = arg
            return self._text(text).split(self.resolve(sep))
        if key == "Fn::If":
            name, if_true, if_false = arg
            return self.resolve(if_true if self.condition(name) else if_false)
        if key == "Fn::Not":
            (inner,) = arg
            return not self.resolve(inner)
        if key == "Fn::Equals":
            left, right = (self.resolve(a) for a in arg)
            return _as_text(left) == _as_text(right)
        if key == "Fn::And":
            return all(self.resolve(a) for a in arg)
        if key == "Fn::Or":
            return any(self.resolve(a) for a in arg)
        if key == "Fn::FindInMap":
            name, top, second = (self.resolve(a) for a in arg[:3])
            try:
                return self.template.mappings[name][top][second]
            except KeyError as exc:
                if len(arg) > 3 and isinstance(arg[3], dict) and "DefaultValue" in arg[3]:
                    return self.resolve(arg[3]["DefaultValue"])
                raise TemplateError(f"!FindInMap {name}/{top}/{second} not found") from exc
        if key == "Fn::Base64":
            return base64.b64encode(self._text(arg).encode()).decode()
        if key == "Fn::GetAZs":
            return [f"{self.region}{suffix}" for suffix in "abc"]
        if key == "Fn::ToJsonString":
            return json.dumps(self.resolve(arg), separators=(",", ":"))
        if key == "Fn::Length":
            return len(self._list(arg))
        raise TemplateError(f"{key} is not supported by the local runtime")

    def _text(self, value: Any) -> str:
        return _as_text(self.resolve(value))

    def _list(self, value: Any) -> list[Any]:
        resolved = self.resolve(value)
        if not isinstance(resolved, list):
            raise TemplateError(f"expected a list, got {resolved!r}")
        return resolved

    def _sub(self, arg: Any) -> str:
        if isinstance(arg, list):
            text, variables = arg[0], {k: self.resolve(v) for k, v in (arg[1] or {}).items()}
        else:
            text, variables = arg, {}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"  # `${!Literal}` stays literal
            name = name.strip()
            if name in variables:
                return _as_text(variables[name])
            if name.startswith("AWS::"):
                return _as_text(self.pseudo(name))
            if "." in name and name.split(".", 1)[0] in self.template.resources:
                logical_id, attribute = name.split(".", 1)
                return _as_text(self.get_att(logical_id, attribute))
            return _as_text(self.ref(name))

        return _SUB_VAR.sub(replace, self._text(text) if not isinstance(text, str) else text)


def references(value: Any) -> set[str]:
    """Logical names a (still unresolved) value refers to, through Ref, GetAtt and Sub."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= references(item)
    elif isinstance(value, dict):
        if len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref" and isinstance(arg, str):
                return {arg}
            if key == "Fn::GetAtt":
                target = arg.split(".", 1)[0] if isinstance(arg, str) else arg[0]
                return {target} if isinstance(target, str) else references(target)
            if key == "Fn::Sub":
                text = arg[0] if isinstance(arg, list) else arg
                local = set((arg[1] or {}).keys()) if isinstance(arg, list) else set()
                if isinstance(text, str):
                    for name in _SUB_VAR.findall(text):
                        if not name.startswith("!"):
                            base = name.strip().split(".", 1)[0]
                            if base not in local:
                                found.add(base)
                if isinstance(arg, list):
                    found |= references(arg[1])
                return found
        for item in value.values():
            found |= references(item)
    return found


def creation_order(resources: Mapping[str, Mapping[str, Any]], wanted: Iterable[str]) -> list[str]:
    """Topological order of `wanted` logical ids so that each comes after what it references
    (e.g. a dead-letter queue before the queue whose RedrivePolicy points at it)."""
    wanted = list(wanted)
    wanted_set = set(wanted)
    deps = {
        lid: (references(resources[lid].get("Properties", {}))
              | set(_as_list(resources[lid].get("DependsOn"))))
        & wanted_set - {lid}
        for lid in wanted
    }
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(lid: str, path: tuple[str, ...]) -> None:
        if state.get(lid) == 2:
            return
        if state.get(lid) == 1:
            raise TemplateError("circular reference: " + " -> ".join(path + (lid,)))
        state[lid] = 1
        for dep in sorted(deps[lid]):
            visit(dep, path + (lid,))
        state[lid] = 2
        order.append(lid)

    for lid in wanted:
        visit(lid, ())
    return order


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


# --------------------------------------------------------------------------------------------
# The template model
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventSource:
    """One entry of a function's `Events` (properties still unresolved)."""

    function_id: str
    name: str
    type: str
    properties: Mapping[str, Any]


@dataclass(frozen=True)
class FunctionSpec:
    """An `AWS::Serverless::Function` with the Globals already applied (values unresolved)."""

    logical_id: str
    code_uri: Path
    handler: str
    runtime: str
    timeout: Any
    memory_size: Any
    environment: Mapping[str, Any]
    events: tuple[EventSource, ...]
    function_name: Any = None
    condition: str | None = None

    @property
    def handler_module(self) -> str:
        return self.handler.rsplit(".", 1)[0]

    @property
    def handler_function(self) -> str:
        return self.handler.rsplit(".", 1)[1]


@dataclass
class Template:
    path: Path
    body: dict[str, Any]
    parameters: dict[str, Any] = field(default_factory=dict)
    conditions: dict[str, Any] = field(default_factory=dict)
    mappings: dict[str, Any] = field(default_factory=dict)
    resources: dict[str, Any] = field(default_factory=dict)
    globals: dict[str, Any] = field(default_factory=dict)

    @property
    def root(self) -> Path:
        return self.path.parent

    def resources_of_type(self, resource_type: str) -> list[str]:
        return [lid for lid, r in self.resources.items() if r.get("Type") == resource_type]

    def functions(self) -> list[FunctionSpec]:
        globals_fn = self.globals.get("Function", {}) or {}
        global_env = ((globals_fn.get("Environment") or {}).get("Variables")) or {}
        specs = []
        for lid in self.resources_of_type("AWS::Serverless::Function"):
            resource = self.resources[lid]
            props = resource.get("Properties", {}) or {}
            if props.get("PackageType") == "Image" or "InlineCode" in props:
                raise TemplateError(f"{lid}: only zip functions with CodeUri run locally")
            env = dict(global_env)
            env.update(((props.get("Environment") or {}).get("Variables")) or {})
            code_uri = props.get("CodeUri", globals_fn.get("CodeUri"))
            handler = props.get("Handler", globals_fn.get("Handler"))
            if not isinstance(code_uri, str) or not isinstance(handler, str) or "." not in handler:
                raise TemplateError(f"{lid}: CodeUri and Handler (module.function) are required")
            events = tuple(
                EventSource(lid, name, ev.get("Type", ""), ev.get("Properties", {}) or {})
                for name, ev in (props.get("Events") or {}).items()
            )
            specs.append(
                FunctionSpec(
                    logical_id=lid,
                    code_uri=(self.root / code_uri).resolve(),
                    handler=handler,
                    runtime=props.get("Runtime", globals_fn.get("Runtime", "python3.12")),
                    timeout=props.get("Timeout", globals_fn.get("Timeout", 3)),
                    memory_size=props.get("MemorySize", globals_fn.get("MemorySize", 128)),
                    environment=env,
                    events=events,
                    function_name=props.get("FunctionName"),
                    condition=resource.get("Condition"),
                )
            )
        return specs


def load_template(path: str | Path) -> Template:
    path = Path(path)
    body = load_yaml(path.read_text(encoding="utf-8"))
    return Template(
        path=path.resolve(),
        body=body,
        parameters=body.get("Parameters") or {},
        conditions=body.get("Conditions") or {},
        mappings=body.get("Mappings") or {},
        resources=body.get("Resources") or {},
        globals=body.get("Globals") or {},
    )
