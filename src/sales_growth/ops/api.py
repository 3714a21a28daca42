"""Health and metrics endpoints, for the operations team's daily check, load balancers and Prometheus."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool

from sales_growth.ops import health as checks
from sales_growth.ops import metrics

router = APIRouter(tags=["ops"])


@router.get("/health")
def health(request: Request) -> JSONResponse:
    """200 ``{"status": "ok", "checks": {...}}``, or 503 with ``down`` naming what is down. Needs no login."""
    results = checks.run_checks(request.app.state.engine, request.app.state.settings)
    down = [name for name, check in results.items() if check.status != "ok"]
    body = {
        "status": "down" if down else "ok",
        "down": down,
        "database": results["database"].status,
        "checks": {name: check.as_dict() for name, check in results.items()},
    }
    return JSONResponse(body, status_code=503 if down else 200)


@router.get("/metrics", include_in_schema=False)
async def prometheus_metrics() -> Response:
    """Prometheus text format (the scrape reads the pool and the queue, off the event loop)."""
    return Response(await run_in_threadpool(metrics.render), media_type=CONTENT_TYPE_LATEST)


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
