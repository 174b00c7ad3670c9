"""The local runtime: template.yaml's resources on moto (or AWS_ENDPOINT_URL), its functions behind
a local API Gateway, SQS and DynamoDB stream pollers, schedules and the channel simulators — all
in one process, no Docker.

Read from the environment (or LocalRuntime(env=...)):
  AWS_ENDPOINT_URL                     use that endpoint (LocalStack, AWS) instead of embedded moto
  AWS_DEFAULT_REGION / AWS_REGION      default us-east-1
  INVSYNC_PLATFORM_TOKEN               value of generated secrets (default dev-platform-token)
  INVSYNC_SECRET_<LogicalId>           value of one generated secret instead
  INVSYNC_PARAM_<Name>                 overrides a template parameter's Default
  INVSYNC_SIMULATORS=0                 no channel simulators
  INVSYNC_LOCAL_RETRY_DELAY_SECONDS    failed SQS messages / stream batches come back after this
                                       (default 2; SQS counts whole seconds)
  INVSYNC_LOCAL_SCHEDULE_SCALE         rate(...) periods are multiplied by it (default 1; 0 = only
                                       on demand through POST /_local/schedules/{FunctionLogicalId})
  INVSYNC_LOCAL_FUNCTION_CONCURRENCY   invocations of one function at once (default 1)
  INVSYNC_PROJECT_ROOT                 where template.yaml is, when not found from the cwd
Written to os.environ while running (and put back by stop()): the AWS endpoint, region and, for
embedded moto, dummy credentials; every function's Environment; INVSYNC_PUBLIC_URL (the API);
INVSYNC_PLATFORM_TOKEN; INVSYNC_SIMULATOR_<NAME>_URL.

Concurrency: each function is one warm "container". Its invocations are serialized (API requests,
pollers and schedules wait for each other), unless INVSYNC_LOCAL_FUNCTION_CONCURRENCY=N allows N
at once; an SQS mapping then runs min(N, ScalingConfig.MaximumConcurrency) pollers. A stream
mapping always has one poller (records of a shard are processed in order). The function Timeout
feeds get_remaining_time_in_millis() but is not enforced (a thread cannot be killed); overruns
are logged.

Environment: Globals.Function.Environment merged with each function's own is written to
os.environ once. Were two functions to set one variable differently, that variable is set around
each invocation instead, and invocations of those functions are serialized process-wide.

One runtime per process at a time (os.environ is shared). The embedded moto server comes back on
the same port when a runtime is started again in the same process, and starts empty.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import re
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Mapping

import boto3

from . import aws
from .apigw import ApiServer, HttpResponse, LocalRequest, Route, RouteTable, build_rest_event, json_response
from .apigw import MISSING_TOKEN, INTERNAL_ERROR, response_from_result
from .lambda_context import LambdaContext
from .pollers import FilterCriteria, SqsMapping, SqsPoller, StreamMapping, StreamPoller
from .schedules import Schedule, ScheduleTimer
from .template import FunctionSpec, Resolver, Template, load_template

log = logging.getLogger("invsync_local")

DEFAULT_STACK_NAME = "invsync-local"
DEFAULT_PLATFORM_TOKEN = "dev-platform-token"
DEFAULT_RETRY_DELAY_SECONDS = 2.0
TEMPLATE_NAME = "template.yaml"

# Channel simulators, imported lazily: name -> "module:Class" (start(host, port), .url, stop()).
SIMULATORS = {"shopify": "invsync_local.simulators.shopify:ShopifySimulator"}


class Throttled(RuntimeError):
    """The function is busy with as many invocations as it may run at once."""


def find_project_root(start: str | Path | None = None) -> Path:
    """The folder holding template.yaml: INVSYNC_PROJECT_ROOT, else up from `start`/cwd, else the
    checkout this package lives in."""
    if os.environ.get("INVSYNC_PROJECT_ROOT"):
        return Path(os.environ["INVSYNC_PROJECT_ROOT"]).resolve()
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / TEMPLATE_NAME).is_file():
            return folder
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / TEMPLATE_NAME).is_file():
        return checkout
    raise FileNotFoundError(f"no {TEMPLATE_NAME} above {here}; pass the project root")


class _EnvPatch:
    """Sets os.environ keys and puts back what was there before on restore()."""

    def __init__(self) -> None:
        self._saved: dict[str, str | None] = {}

    def set(self, key: str, value: str) -> None:
        if key not in self._saved:
            self._saved[key] = os.environ.get(key)
        os.environ[key] = value

    def restore(self) -> None:
        for key, value in self._saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved.clear()


def _env_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class FunctionRunner:
    """One function: its handler (imported on first use), context and invocation bookkeeping."""

    def __init__(
        self,
        spec: FunctionSpec,
        *,
        name: str,
        arn: str,
        timeout: float,
        memory_mb: int,
        module_name: str,
        concurrency: int,
        environment: Mapping[str, str],
        env_overrides: Mapping[str, str | None],
        env_lock: threading.RLock,
    ) -> None:
        self.spec = spec
        self.name = name
        self.arn = arn
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.module_name = module_name
        self.environment = dict(environment)
        self._env_overrides = dict(env_overrides)
        self._env_lock = env_lock
        self._slots = threading.BoundedSemaphore(concurrency)
        self._load_lock = threading.Lock()
        self._count_lock = threading.Lock()
        self._handler: Callable[[Any, Any], Any] | None = None
        self.module: ModuleType | None = None
        self.in_flight = 0
        self.invocations = 0

    @property
    def logical_id(self) -> str:
        return self.spec.logical_id

    def _load(self) -> Callable[[Any, Any], Any]:
        with self._load_lock:
            if self._handler is not None:
                return self._handler
            code_dir = self.spec.code_uri
            relative = Path(*self.spec.handler_module.split("."))
            path = code_dir / relative.with_suffix(".py")
            if not path.is_file():
                path = code_dir / relative / "__init__.py"
            if not path.is_file():
                raise ImportError(f"{self.logical_id}: handler module not found under {code_dir}")
            spec = importlib.util.spec_from_file_location(self.module_name, path)
            if spec is None or spec.loader is None:
                raise ImportError(f"{self.logical_id}: cannot load {path}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[self.module_name] = module
            # Lambda runs with the code folder on sys.path (/var/task): siblings of app.py import
            # as in Lambda while the module body runs.
            sys.path.insert(0, str(code_dir))
            try:
                spec.loader.exec_module(module)
            except BaseException:
                sys.modules.pop(self.module_name, None)
                raise
            finally:
                try:
                    sys.path.remove(str(code_dir))
                except ValueError:
                    pass
            handler = getattr(module, self.spec.handler_function, None)
            if not callable(handler):
                sys.modules.pop(self.module_name, None)
                raise ImportError(f"{self.logical_id}: {path} has no callable {self.spec.handler_function!r}")
            self.module, self._handler = module, handler
            return handler

    def unload(self) -> None:
        sys.modules.pop(self.module_name, None)

    def context(self) -> LambdaContext:
        return LambdaContext(
            function_name=self.name,
            memory_limit_in_mb=self.memory_mb,
            invoked_function_arn=self.arn,
            timeout_seconds=self.timeout,
        )

    def invoke(self, event: Any) -> Any:
        """Run the handler on `event` (exceptions propagate, as a function error)."""
        if not self._slots.acquire(timeout=self.timeout):
            raise Throttled(f"{self.logical_id} is busy")
        with self._count_lock:
            self.in_flight += 1
        started = time.monotonic()
        try:
            if self._env_overrides:
                with self._env_lock:
                    saved = {k: os.environ.get(k) for k in self._env_overrides}
                    _apply_env(self._env_overrides)
                    try:
                        return self._load()(event, self.context())
                    finally:
                        _apply_env(saved)
            return self._load()(event, self.context())
        finally:
            elapsed = time.monotonic() - started
            if elapsed > self.timeout:
                log.warning("%s ran %.1fs, past its %ss Timeout (not enforced locally)",
                            self.logical_id, elapsed, self.timeout)
            with self._count_lock:
                self.in_flight -= 1
                self.invocations += 1
            self._slots.release()


def _apply_env(values: Mapping[str, str | None]) -> None:
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@dataclass
class _QueueWatch:
    logical_id: str
    url: str


@dataclass
class _State:
    template: Template | None = None
    resolver: Resolver | None = None
    registry: aws.ResourceRegistry | None = None
    functions: dict[str, FunctionRunner] = field(default_factory=dict)
    routes: RouteTable = field(default_factory=lambda: RouteTable([]))
    stages: dict[tuple[str, str], str] = field(default_factory=dict)
    schedules: dict[str, list[Schedule]] = field(default_factory=dict)
    timers: list[ScheduleTimer] = field(default_factory=list)
    sqs_pollers: list[SqsPoller] = field(default_factory=list)
    stream_pollers: list[StreamPoller] = field(default_factory=list)
    source_queues: list[_QueueWatch] = field(default_factory=list)
    simulators: dict[str, Any] = field(default_factory=dict)


class LocalRuntime:
    """template.yaml, running locally. Use as a context manager or start()/stop().

    One runtime per process at a time: handlers read their configuration from os.environ.
    """

    _active: "LocalRuntime | None" = None
    _active_lock = threading.Lock()

    def __init__(
        self,
        project_root: str | Path | None = None,
        port: int = 0,
        simulators: bool = True,
        env: Mapping[str, str] | None = None,
        *,
        stack_name: str = DEFAULT_STACK_NAME,
        template_name: str = TEMPLATE_NAME,
    ) -> None:
        self.project_root = Path(project_root).resolve() if project_root else find_project_root()
        self.port = port
        self._want_simulators = simulators
        self._env_arg = dict(env or {})
        self.stack_name = stack_name
        self.template_name = template_name
        self._patch = _EnvPatch()
        self._stop_event = threading.Event()
        self._env_lock = threading.RLock()
        self._moto: aws.EmbeddedAws | None = None
        self._api: ApiServer | None = None
        self._state = _State()
        self._instance = uuid.uuid4().hex[:8]
        self._started = False
        self.region = aws.DEFAULT_REGION
        self.account_id = aws.DEFAULT_ACCOUNT
        self.aws_endpoint_url = ""
        self.api_url = ""
        self.platform_token = ""
        self.simulator_urls: dict[str, str] = {}
        self.retry_delay = DEFAULT_RETRY_DELAY_SECONDS
        self._sqs_admin: Any = None
        self._session: boto3.session.Session | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def __enter__(self) -> "LocalRuntime":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def start(self) -> "LocalRuntime":
        """Create the resources, start servers, pollers and timers; return once all listen."""
        if self._started:
            raise RuntimeError("this LocalRuntime is already started")
        with LocalRuntime._active_lock:
            if LocalRuntime._active is not None:
                raise RuntimeError(
                    "another LocalRuntime is running in this process (they would share os.environ); stop it first"
                )
            LocalRuntime._active = self
        self._started = True
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        for key, value in self._env_arg.items():
            self._patch.set(key, str(value))
        self.region = os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or aws.DEFAULT_REGION
        self._patch.set("AWS_DEFAULT_REGION", self.region)
        self._patch.set("AWS_REGION", self.region)
        endpoint = os.environ.get("AWS_ENDPOINT_URL")
        if not endpoint:
            self._moto = aws.EmbeddedAws()
            endpoint = self._moto.start()
            for key, value in aws.DUMMY_CREDENTIALS.items():
                self._patch.set(key, value)
            self._patch.set("AWS_ENDPOINT_URL", endpoint)
        self.aws_endpoint_url = endpoint
        self._session = boto3.session.Session()
        self.account_id = aws.account_id(self.region, self._session)
        self.platform_token = os.environ.get("INVSYNC_PLATFORM_TOKEN") or DEFAULT_PLATFORM_TOKEN
        self._patch.set("INVSYNC_PLATFORM_TOKEN", self.platform_token)
        self.retry_delay = float(os.environ.get("INVSYNC_LOCAL_RETRY_DELAY_SECONDS", DEFAULT_RETRY_DELAY_SECONDS))
        self._sqs_admin = self._client("sqs")

        state = self._state
        state.template = load_template(self.project_root / self.template_name)
        state.registry = aws.ResourceRegistry(state.template, self.stack_name, self.region, self.account_id)
        overrides = {k[len("INVSYNC_PARAM_"):]: v for k, v in os.environ.items() if k.startswith("INVSYNC_PARAM_")}
        state.resolver = Resolver(
            state.template,
            region=self.region,
            account_id=self.account_id,
            stack_name=self.stack_name,
            lookup=state.registry.lookup,
            parameter_overrides=overrides,
        )
        aws.ResourceProvisioner(
            state.template, state.registry, state.resolver, secret_value=self._secret_value, session=self._session
        ).provision()
        self._build_functions()
        self._start_api()
        if self._want_simulators and os.environ.get("INVSYNC_SIMULATORS", "1") != "0":
            self._start_simulators()
        self._start_event_sources()
        log.info("local runtime ready: API %s, AWS %s", self.api_url, self.aws_endpoint_url)

    def stop(self) -> None:
        """Stop timers, pollers, servers and the embedded AWS; put os.environ back. Idempotent."""
        if not self._started:
            return
        self._stop_event.set()
        state = self._state
        for stream_poller in state.stream_pollers:
            stream_poller.nudge()
        # the API server's shutdown takes up to half a second: overlap it with the pollers' last poll
        api_stopper = threading.Thread(target=self._api.stop, name="api-stop", daemon=True) if self._api else None
        if api_stopper is not None:
            api_stopper.start()
        for timer in state.timers:
            timer.join(5)
        for poller in [*state.sqs_pollers, *state.stream_pollers]:
            poller.join(15)
        if api_stopper is not None:
            api_stopper.join(10)
            self._api = None
        for name, simulator in state.simulators.items():
            try:
                simulator.stop()
            except Exception:  # noqa: BLE001 - keep shutting the rest down
                log.exception("simulator %s did not stop cleanly", name)
        if self._moto is not None:
            self._moto.stop()
            self._moto = None
        for runner in state.functions.values():
            runner.unload()
        self._patch.restore()
        self._started = False
        with LocalRuntime._active_lock:
            if LocalRuntime._active is self:
                LocalRuntime._active = None

    # -- resources and functions ------------------------------------------------------------

    def _secret_value(self, logical_id: str) -> str:
        """Generated secrets get INVSYNC_SECRET_<LogicalId>, else the platform token."""
        return os.environ.get(f"INVSYNC_SECRET_{logical_id}") or self.platform_token

    def _build_functions(self) -> None:
        state = self._state
        assert state.template is not None and state.resolver is not None and state.registry is not None
        resolver = state.resolver
        concurrency = max(1, int(os.environ.get("INVSYNC_LOCAL_FUNCTION_CONCURRENCY", "1")))
        specs = [s for s in state.template.functions() if s.condition is None or resolver.condition(s.condition)]
        environments = {
            s.logical_id: {k: _env_text(v) for k, v in resolver.resolve(dict(s.environment)).items()} for s in specs
        }
        conflicts = {
            key
            for env in environments.values()
            for key, value in env.items()
            if any(other.get(key, value) != value for other in environments.values())
        }
        if conflicts:
            log.warning("functions set %s differently: set per invocation", ", ".join(sorted(conflicts)))
        for env in environments.values():
            for key, value in env.items():
                if key not in conflicts:
                    self._patch.set(key, value)
        tag = re.sub(r"\W", "_", f"{self.stack_name}_{self._instance}")
        for spec in specs:
            name = resolver.resolve(spec.function_name) if spec.function_name else state.registry.physical_name(spec.logical_id)
            arn = f"arn:aws:lambda:{self.region}:{self.account_id}:function:{name}"
            state.registry.attributes[spec.logical_id] = {"Ref": name, "Arn": arn}
            env = environments[spec.logical_id]
            state.functions[spec.logical_id] = FunctionRunner(
                spec,
                name=name,
                arn=arn,
                timeout=float(resolver.resolve(spec.timeout)),
                memory_mb=int(resolver.resolve(spec.memory_size)),
                module_name=f"_invsync_fn_{tag}_{spec.logical_id}",
                concurrency=concurrency,
                environment=env,
                env_overrides={k: env.get(k) for k in conflicts},
                env_lock=self._env_lock,
            )

    # -- API --------------------------------------------------------------------------------

    def _stage_of(self, properties: Mapping[str, Any]) -> str:
        state = self._state
        assert state.template is not None and state.resolver is not None
        rest_api = properties.get("RestApiId")
        logical_id = rest_api.get("Ref") if isinstance(rest_api, dict) else None
        api = state.template.resources.get(logical_id) if isinstance(logical_id, str) else None
        if api is None:
            return "Prod"  # SAM's implicit API
        return str(state.resolver.resolve((api.get("Properties") or {}).get("StageName", "Prod")))

    def _start_api(self) -> None:
        state = self._state
        assert state.resolver is not None
        routes = []
        for runner in state.functions.values():
            for event in runner.spec.events:
                if event.type != "Api":
                    continue
                props = state.resolver.resolve(dict(event.properties))
                method = str(props.get("Method", "any")).upper()
                route = Route(str(props["Path"]), method, runner.logical_id, event.name)
                routes.append(route)
                state.stages[(runner.logical_id, event.name)] = self._stage_of(event.properties)
        state.routes = RouteTable(routes)
        self._api = ApiServer(self._dispatch, host="127.0.0.1", port=self.port)
        self._api.start()
        self.api_url = self._api.url
        self._patch.set("INVSYNC_PUBLIC_URL", self.api_url)

    def _dispatch(self, request: LocalRequest) -> HttpResponse:
        path, method = request.path, request.method.upper()
        if path == "/_local/health" and method == "GET":
            return json_response(200, {"status": "ok", "functions": sorted(self._state.functions)})
        if path.startswith("/_local/schedules/") and method == "POST":
            return self._fire_schedule_route(path[len("/_local/schedules/"):].strip("/"))
        matched = self._state.routes.match(method, path)
        if matched is None:
            return json_response(403, MISSING_TOKEN, [("x-amzn-ErrorType", "MissingAuthenticationTokenException")])
        route, params = matched
        runner = self._state.functions[route.function_id]
        event = build_rest_event(
            method=method,
            path=path,
            headers=request.headers,
            query_string=request.query_string,
            body=request.body,
            route=route,
            path_parameters=params,
            stage=self._state.stages.get((route.function_id, route.event_name), "Prod"),
            source_ip=request.source_ip,
            account_id=self.account_id,
        )
        request_id = [("x-amzn-RequestId", event["requestContext"]["requestId"])]
        try:
            result = runner.invoke(event)
        except Throttled:
            return json_response(429, {"message": "Too Many Requests"}, request_id)
        except Exception:  # noqa: BLE001 - a function error is API Gateway's 502
            log.exception("%s failed on %s %s", route.function_id, method, path)
            return json_response(502, INTERNAL_ERROR, request_id)
        response = response_from_result(result)
        response.headers.extend(request_id)
        return response

    def _fire_schedule_route(self, function_id: str) -> HttpResponse:
        if function_id not in self._state.schedules:
            return json_response(404, {"message": f"{function_id or '?'} has no schedule"})
        try:
            result = self.fire_schedule(function_id)
        except Exception as exc:  # noqa: BLE001 - reported like a Lambda invoke error
            log.exception("schedule of %s failed", function_id)
            return json_response(500, {"errorType": type(exc).__name__, "errorMessage": str(exc)})
        return json_response(200, result)

    # -- simulators -------------------------------------------------------------------------

    def _start_simulators(self) -> None:
        for name, target in SIMULATORS.items():
            module_name, class_name = target.split(":")
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name and module_name.startswith(exc.name):
                    log.warning("simulator %s is not available (%s); continuing without it", name, exc.name)
                    continue
                raise
            simulator_class = getattr(module, class_name, None)
            if simulator_class is None:
                log.warning("simulator %s: %s has no %s yet; continuing without it", name, module_name, class_name)
                continue
            simulator = simulator_class()
            simulator.start(host="127.0.0.1", port=0)
            self._state.simulators[name] = simulator
            self.simulator_urls[name] = simulator.url
            self._patch.set(f"INVSYNC_SIMULATOR_{name.upper()}_URL", simulator.url)

    # -- event sources ----------------------------------------------------------------------

    def _start_event_sources(self) -> None:
        state = self._state
        assert state.resolver is not None and state.registry is not None
        for runner in state.functions.values():
            for event in runner.spec.events:
                if event.type == "Api":
                    continue
                props = state.resolver.resolve(dict(event.properties))
                label = f"{runner.logical_id}.{event.name}"
                if event.type in ("SQS", "DynamoDB") and str(props.get("Enabled", True)).lower() == "false":
                    log.info("%s is disabled in the template", label)
                    continue
                if event.type == "SQS":
                    self._start_sqs(runner, label, props)
                elif event.type == "DynamoDB":
                    self._start_stream(runner, label, props)
                elif event.type in ("Schedule", "ScheduleV2"):
                    schedule = Schedule.from_properties(
                        function_id=runner.logical_id, event_name=event.name, event_type=event.type,
                        properties=props, stack_name=self.stack_name, region=self.region, account=self.account_id,
                    )
                    state.schedules.setdefault(runner.logical_id, []).append(schedule)
                    timer = ScheduleTimer(schedule, self._fire, scale=self._schedule_scale(), stop_event=self._stop_event)
                    state.timers.append(timer)
                else:
                    log.info("%s: %s events are not emulated locally", label, event.type)
        for poller in [*state.sqs_pollers, *state.stream_pollers]:
            poller.start()
        for timer in state.timers:
            timer.start()

    def _client(self, service: str) -> Any:
        return aws.client(service, self.region, self._session)

    @staticmethod
    def _schedule_scale() -> float:
        return float(os.environ.get("INVSYNC_LOCAL_SCHEDULE_SCALE", "1"))

    def _queue_url(self, arn: str) -> str:
        assert self._state.registry is not None
        url = self._state.registry.queue_url_for_arn(arn)
        if url:
            return url
        return self._sqs_admin.get_queue_url(QueueName=arn.rsplit(":", 1)[-1])["QueueUrl"]

    def _start_sqs(self, runner: FunctionRunner, label: str, props: Mapping[str, Any]) -> None:
        arn = str(props["Queue"])
        url = self._queue_url(arn)
        mapping = SqsMapping(
            queue_url=url,
            queue_arn=arn,
            batch_size=int(props.get("BatchSize", 10)),
            batching_window=float(props.get("MaximumBatchingWindowInSeconds", 0)),
            report_batch_item_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
            filter=FilterCriteria.from_properties(props.get("FilterCriteria")),
        )
        function_slots = max(1, int(os.environ.get("INVSYNC_LOCAL_FUNCTION_CONCURRENCY", "1")))
        maximum = int((props.get("ScalingConfig") or {}).get("MaximumConcurrency", function_slots))
        for index in range(max(1, min(function_slots, maximum))):
            self._state.sqs_pollers.append(
                SqsPoller(
                    name=f"{label}#{index}",
                    mapping=mapping,
                    sqs=self._client("sqs"),
                    region=self.region,
                    invoke=runner.invoke,
                    stop_event=self._stop_event,
                    retry_delay=self.retry_delay,
                )
            )
        self._state.source_queues.append(_QueueWatch(label, url))

    def _start_stream(self, runner: FunctionRunner, label: str, props: Mapping[str, Any]) -> None:
        on_failure = ((props.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        on_failure_url = None
        if on_failure:
            if str(on_failure).startswith("arn:aws:sqs:"):
                on_failure_url = self._queue_url(str(on_failure))
            else:
                log.info("%s: on-failure destination %s is not emulated (SQS only)", label, on_failure)
        mapping = StreamMapping(
            stream_arn=str(props["Stream"]),
            starting_position=str(props.get("StartingPosition", "LATEST")),
            batch_size=int(props.get("BatchSize", 100)),
            batching_window=float(props.get("MaximumBatchingWindowInSeconds", 0)),
            report_batch_item_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
            bisect_on_error=str(props.get("BisectBatchOnFunctionError", False)).lower() == "true",
            maximum_retry_attempts=int(props.get("MaximumRetryAttempts", -1)),
            on_failure_queue_url=on_failure_url,
            function_arn=runner.arn,
            filter=FilterCriteria.from_properties(props.get("FilterCriteria")),
        )
        self._state.stream_pollers.append(
            StreamPoller(
                name=label,
                mapping=mapping,
                streams=self._client("dynamodbstreams"),
                sqs=self._client("sqs"),
                region=self.region,
                invoke=runner.invoke,
                stop_event=self._stop_event,
                retry_delay=self.retry_delay,
            )
        )

    # -- programmatic API -------------------------------------------------------------------

    @property
    def functions(self) -> dict[str, FunctionRunner]:
        return dict(self._state.functions)

    @property
    def simulators(self) -> dict[str, Any]:
        """The running simulator objects by name (e.g. "shopify": a ShopifySimulator)."""
        return dict(self._state.simulators)

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        """Physical values per logical id: {"Ref", "Arn", "QueueUrl", "StreamArn", ...}."""
        registry = self._state.registry
        return {k: dict(v) for k, v in registry.attributes.items()} if registry else {}

    def queue_url(self, logical_id: str) -> str:
        return self.resources[logical_id]["QueueUrl"]

    def table_name(self, logical_id: str) -> str:
        return self.resources[logical_id]["Ref"]

    def invoke(self, function_id: str, event: Any) -> Any:
        """Invoke a function directly (as `sam local invoke` would)."""
        return self._state.functions[function_id].invoke(event)

    def fire_schedule(self, function_id: str, event_name: str | None = None) -> Any:
        """Fire a function's schedule now, synchronously; returns the handler's result."""
        schedules = self._state.schedules.get(function_id) or []
        chosen = [s for s in schedules if event_name in (None, s.event_name)]
        if not chosen:
            raise KeyError(f"{function_id} has no schedule {event_name or ''}".strip())
        return self._fire(chosen[0])

    def _fire(self, schedule: Schedule) -> Any:
        event = schedule.event(account=self.account_id, region=self.region)
        return self._state.functions[schedule.function_id].invoke(event)

    def _queue_depths(self) -> dict[str, int]:
        names = [
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ]
        depths = {}
        for watch in self._state.source_queues:
            attributes = self._sqs_admin.get_queue_attributes(QueueUrl=watch.url, AttributeNames=names)["Attributes"]
            depths[watch.logical_id] = sum(int(attributes.get(n, 0)) for n in names)
        return depths

    def _activity(self) -> tuple[int, ...]:
        state = self._state
        return (
            sum(r.invocations for r in state.functions.values()),
            *(p.activity for p in state.sqs_pollers),
            *(p.activity for p in state.stream_pollers),
        )

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Return True once every consumed queue is empty (visible + in flight + delayed), every
        stream has been read to its end with nothing pending, and no invocation runs; raise
        TimeoutError (saying what is still busy) after `timeout` seconds. DLQs are not consumed
        and do not count."""
        deadline = time.monotonic() + timeout
        state = self._state
        status: dict[str, Any] = {}
        while True:
            before = self._activity()
            marks = {id(p): p.idle_passes for p in state.stream_pollers}
            for poller in state.stream_pollers:
                poller.nudge()
            # every stream poller must finish a pass that started after `before` and found nothing
            while time.monotonic() < deadline and not all(
                p.idle_passes >= marks[id(p)] + 2 or not p.alive for p in state.stream_pollers
            ):
                self._stop_event.wait(0.02)
                for poller in state.stream_pollers:
                    if poller.idle_passes >= marks[id(poller)] + 1:
                        poller.nudge()
            depths = self._queue_depths()
            in_flight = {k: r.in_flight for k, r in state.functions.items() if r.in_flight}
            pending = {p.name: p.pending for p in state.stream_pollers if p.pending}
            busy = [p.name for p in state.sqs_pollers if p.busy]
            quiet = not any(depths.values()) and not in_flight and not pending and not busy
            if quiet and self._activity() == before:
                return True
            status = {"queues": {k: v for k, v in depths.items() if v}, "in_flight": in_flight,
                      "stream_pending": pending, "sqs_busy": busy}
            if time.monotonic() >= deadline:
                raise TimeoutError(f"local runtime not idle after {timeout}s: {status}")
            self._stop_event.wait(0.05)

    def describe(self) -> str:
        """What is running where (the `serve` banner)."""
        state = self._state
        lines = [
            f"  API            {self.api_url}",
            f"  AWS endpoint   {self.aws_endpoint_url}" + (" (embedded moto)" if self._moto else ""),
        ]
        for name, url in self.simulator_urls.items():
            lines.append(f"  simulator      {name}: {url}")
        lines.append(f"  platform token {self.platform_token}  (INVSYNC_PLATFORM_TOKEN)")
        for route in state.routes:
            lines.append(f"  route          {route.method:6} {route.path} -> {route.function_id}")
        for poller in state.sqs_pollers:
            lines.append(f"  queue          {poller.mapping.queue_url} -> {poller.name}")
        for poller in state.stream_pollers:
            lines.append(f"  stream         {poller.mapping.stream_arn} -> {poller.name}")
        for timer in state.timers:
            every = f"every {timer.interval:g}s" if timer.active else "on demand only"
            lines.append(
                f"  schedule       {timer.schedule.expression} ({every}) -> {timer.schedule.function_id}"
                f"  [POST /_local/schedules/{timer.schedule.function_id}]"
            )
        return "\n".join(lines)
