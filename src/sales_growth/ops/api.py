"""Health endpoint for the operations team's daily check and for load balancers."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

router = APIRouter(tags=["ops"])


@router.get("/health")
def health(request: Request) -> JSONResponse:
    """200 ``{"status": "ok", "database": "ok"}``, or 503 naming what is down. Needs no login."""
    started = time.perf_counter()
    try:
        with request.app.state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # any failure to reach the database means it is down
        database = "down"
    body = {
        "status": "ok" if database == "ok" else "down",
        "database": database,
        "checks": {"database": {"status": database, "latency_ms": round((time.perf_counter() - started) * 1000, 2)}},
    }
    return JSONResponse(body, status_code=200 if database == "ok" else 503)


@router.get("/api/v1/maintenance")
def maintenance_status(request: Request) -> dict[str, object]:
    """メンテナンスの状態と、予告中のメンテナンス（ログイン不要: ページがバナーを表示するため）。"""
    from sales_growth.db import utcnow
    from sales_growth.ops.gate import current_status

    status = current_status(request)
    return {
        "active": status.active,
        "message": status.notice() if status.active else None,
        "until": status.until,
        "banner": status.banner(utcnow()),
        "announcement": {
            "start": status.announcement_start,
            "end": status.announcement_end,
            "message": status.announcement_message,
        }
        if status.announcement_start
        else None,
    }
