"""Audit-worthy account events, written to the audit log (``sales_growth.ops.audit``) in the caller's session."""

from __future__ import annotations

from sales_growth.ops.audit import ACTIONS, record_event

__all__ = ["ACTIONS", "record_event"]
