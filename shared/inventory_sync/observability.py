"""Logger, Tracer and Metrics, created once for every function (Powertools)."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger(service="inventory-sync")
tracer = Tracer(service="inventory-sync")
metrics = Metrics(namespace="InventorySync", service="inventory-sync")
