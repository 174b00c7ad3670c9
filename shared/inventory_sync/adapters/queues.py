"""SQS adapter: small JSON messages, sent in batches of 10 (the SQS maximum)."""

from __future__ import annotations

import json
from typing import Any, Mapping, Sequence


class SqsQueue:
    def __init__(self, client: Any, queue_url: str):
        self._sqs = client
        self.url = queue_url

    def send(self, messages: Sequence[Mapping[str, Any]], delay_seconds: int = 0) -> None:
        """Sends every message or raises: a partial failure is retried, never dropped."""
        delay = max(0, min(900, int(delay_seconds)))
        for start in range(0, len(messages), 10):
            batch = messages[start:start + 10]
            entries = [{"Id": str(i), "MessageBody": json.dumps(m, sort_keys=True, separators=(",", ":")),
                        **({"DelaySeconds": delay} if delay else {})} for i, m in enumerate(batch)]
            for _ in range(5):
                res = self._sqs.send_message_batch(QueueUrl=self.url, Entries=entries)
                failed = {f["Id"] for f in res.get("Failed", [])}
                if not failed:
                    break
                entries = [e for e in entries if e["Id"] in failed]
            else:
                raise RuntimeError(f"SQS refused {len(entries)} messages for {self.url}")
