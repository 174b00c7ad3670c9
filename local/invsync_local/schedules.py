"""Schedule / ScheduleV2 events: `rate(...)` timers and the EventBridge Scheduled Event payload.

`cron(...)` and `at(...)` expressions are not emulated (logged at start); any schedule can be
fired on demand with `POST /_local/schedules/{FunctionLogicalId}`.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import re
import threading
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Mapping

log = logging.getLogger("invsync_local.schedules")

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
MIN_INTERVAL_SECONDS = 0.05


class ScheduleError(ValueError):
    pass


def rate_seconds(expression: str) -> float | None:
    """Seconds between firings of `rate(N unit)`; None for cron()/at(), which are not emulated."""
    expression = expression.strip()
    match = _RATE.match(expression)
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        if amount <= 0:
            raise ScheduleError(f"rate must be positive: {expression!r}")
        if (amount == 1) != (not unit.endswith("s")):
            raise ScheduleError(f"EventBridge wants '1 {unit.rstrip('s')}' / 'N {unit.rstrip('s')}s': {expression!r}")
        return float(amount * _UNIT_SECONDS[unit.rstrip("s")])
    if expression.startswith(("cron(", "at(")):
        return None
    raise ScheduleError(f"not a schedule expression: {expression!r}")


def scheduled_event(*, account: str, region: str, resource_arn: str, now: _dt.datetime | None = None) -> dict[str, Any]:
    """The payload EventBridge sends a Lambda target for a scheduled rule."""
    moment = (now or _dt.datetime.now(_dt.timezone.utc)).astimezone(_dt.timezone.utc)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [resource_arn],
        "detail": {},
    }


@dataclass(frozen=True)
class Schedule:
    function_id: str
    event_name: str
    event_type: str  # Schedule | ScheduleV2
    expression: str
    enabled: bool
    resource_arn: str
    input: str | None = None  # `Input`: the event is this JSON instead of the Scheduled Event

    @classmethod
    def from_properties(
        cls, *, function_id: str, event_name: str, event_type: str, properties: Mapping[str, Any],
        stack_name: str, region: str, account: str,
    ) -> "Schedule":
        expression = properties.get("Schedule") or properties.get("ScheduleExpression")
        if not isinstance(expression, str):
            raise ScheduleError(f"{function_id}.{event_name}: no schedule expression")
        rate_seconds(expression)  # validate early
        if event_type == "ScheduleV2":
            enabled = str(properties.get("State", "ENABLED")).upper() == "ENABLED"
            name = properties.get("Name") or f"{stack_name}-{function_id}{event_name}"
            arn = f"arn:aws:scheduler:{region}:{account}:schedule/default/{name}"
        else:
            enabled = str(properties.get("Enabled", True)).lower() != "false" and (
                str(properties.get("State", "ENABLED")).upper() == "ENABLED"
            )
            name = properties.get("Name") or f"{stack_name}-{function_id}{event_name}"
            arn = f"arn:aws:events:{region}:{account}:rule/{name}"
        raw_input = properties.get("Input")
        if raw_input is not None and not isinstance(raw_input, str):
            raw_input = json.dumps(raw_input)
        return cls(function_id, event_name, event_type, expression, enabled, arn, raw_input)

    def event(self, *, account: str, region: str) -> Any:
        if self.input is not None:
            return json.loads(self.input)
        return scheduled_event(account=account, region=region, resource_arn=self.resource_arn)


class ScheduleTimer:
    """Fires one schedule every `rate × scale` seconds on a daemon thread (first after one period)."""

    def __init__(self, schedule: Schedule, fire: Callable[[Schedule], Any], *, scale: float, stop_event: threading.Event) -> None:
        self.schedule = schedule
        self._fire = fire
        self._stop = stop_event
        seconds = rate_seconds(schedule.expression)
        self.interval = None if seconds is None or scale <= 0 else max(MIN_INTERVAL_SECONDS, seconds * scale)
        self._thread = threading.Thread(
            target=self._loop, name=f"schedule:{schedule.function_id}.{schedule.event_name}", daemon=True
        )

    @property
    def active(self) -> bool:
        return self.schedule.enabled and self.interval is not None

    def start(self) -> None:
        if not self.active:
            reason = "disabled" if not self.schedule.enabled else "not emulated (fire it on demand)"
            log.info("schedule %s.%s %r: %s", self.schedule.function_id, self.schedule.event_name,
                     self.schedule.expression, reason)
            return
        self._thread.start()

    def join(self, timeout: float) -> None:
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        assert self.interval is not None
        while not self._stop.wait(self.interval):
            try:
                self._fire(self.schedule)
            except Exception:  # noqa: BLE001 - EventBridge retries elsewhere; the timer keeps going
                log.exception("schedule %s.%s failed", self.schedule.function_id, self.schedule.event_name)
