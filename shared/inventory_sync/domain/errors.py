"""Typed errors of the domain layer.

The domain refuses bad values with a `DomainValidationError` naming the field to blame; the API
maps it to a 4xx `{"error": {"code", "message", "field"}}` in one place (I7: bad input is refused
whole). The domain does not import the service layer's errors, so the dependency points inward.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""


class DomainValidationError(DomainError):
    """A value the domain refuses: `field` is the path of the field to blame.

    `field` uses the API body's spelling (`bundle.components[2].sku`, `rules.buffer`), `code` is a
    short machine-readable reason (`bundle_cycle`, `unknown_component`, ...).
    """

    def __init__(self, field: str, message: str, code: str = "invalid") -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.code = code

    def __repr__(self) -> str:
        return f"DomainValidationError(field={self.field!r}, message={self.message!r}, code={self.code!r})"
