"""Response shapes of the operations API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    occurred_at: datetime
    action: str
    outcome: str
    actor_id: int | None
    target_type: str | None
    target_id: int | None
    address: str | None
    request_id: str | None
    details: dict[str, Any]


class AuditEventList(BaseModel):
    items: list[AuditEventOut]
    total: int
    limit: int
    offset: int
