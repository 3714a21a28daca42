"""The ``sales-growth`` command line. Heavy imports stay inside the commands so that each starts fast."""

from __future__ import annotations

from typing import Annotated

import typer

from sales_growth.accounts.cli import accounts_app, users_app
from sales_growth.analysis.cli import analyze_command, eval_command
from sales_growth.demo import DEMO_PASSWORD
from sales_growth.demo.cli import demo_command
from sales_growth.ops.cli import audit_app, backup_app, maintenance_app
from sales_growth.settings import Settings

app = typer.Typer(
    name="sales-growth",
    help="営業グロースAI: 1on1の分析・対話・アクションプラン",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="データベースの管理", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.command("analyze")(analyze_command)
app.command("eval")(eval_command)
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
app.add_typer(accounts_app, name="accounts")
app.add_typer(maintenance_app, name="maintenance")
app.add_typer(backup_app, name="backup")
app.command("demo")(demo_command)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="待ち受けるアドレス")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="待ち受けるポート")] = 8000,
    workers: Annotated[int, typer.Option(help="Webプロセス数")] = 1,
    demo: Annotated[bool, typer.Option("--demo", help="サンプル組織（練習環境）がなければ作ってから起動する")] = False,
    password: Annotated[
        str, typer.Option(help="--demo のサンプルのアカウントのパスワード", envvar="SALES_GROWTH_PASSWORD")
    ] = DEMO_PASSWORD,
) -> None:
    """Webアプリを起動します（先にスキーマを最新にします。--demo でサンプル組織も用意します）。"""
    import uvicorn

    from sales_growth.db import upgrade_schema
    from sales_growth.ops.logs import configure_logging
    from sales_growth.settings import get_settings

    settings = get_settings()
    configure_logging(level=settings.log_level)
    upgrade_schema(settings)
    if demo:
        from sales_growth.demo.cli import fill_and_print

        fill_and_print(settings, password, login_url=f"http://{host}:{port}/login")
    typer.echo(f"営業グロースAI を http://{host}:{port}/ で起動します（データ: {settings.data_dir.resolve()}）")
    if not demo and not _has_users(settings):
        typer.echo(
            "まだユーザーがいません。別の端末で最初の管理者を作成してください: "
            "sales-growth users add --email admin@example.com --name 管理者 --role admin"
        )
    uvicorn.run(
        "sales_growth.web.app:create_served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        timeout_keep_alive=settings.keep_alive_seconds,
        log_level=settings.log_level.lower(),
        log_config=None,  # keep the JSON logging configured above (and by create_served_app in each process)
        access_log=False,  # the app writes one access line per request, with the request and user ids
    )


def _has_users(settings: Settings) -> bool:
    from sqlalchemy import func, select

    from sales_growth.accounts.models import User
    from sales_growth.db import create_db_engine

    engine = create_db_engine(settings)
    try:
        with engine.connect() as connection:
            return bool(connection.scalar(select(func.count()).select_from(User)))
    finally:
        engine.dispose()


@app.command()
def worker(
    workers: Annotated[int, typer.Option(help="並列に処理するジョブ数")] = 2,
    periodic: Annotated[bool, typer.Option(help="定期タスク（取りこぼしの回収）も実行する")] = True,
    metrics_port: Annotated[int | None, typer.Option(help="Prometheus の /metrics を公開するポート")] = None,
) -> None:
    """ジョブを処理するワーカーだけを起動します（スケールアウト用）。"""
    from sales_growth import jobs
    from sales_growth.db import upgrade_schema
    from sales_growth.one_on_ones import analyses
    from sales_growth.ops import metrics
    from sales_growth.ops.logs import configure_logging
    from sales_growth.settings import get_settings

    settings = get_settings()
    configure_logging(level=settings.log_level)
    upgrade_schema(settings)
    metrics.install()
    _trace_worker(settings)
    if metrics_port is not None:
        from prometheus_client import start_http_server

        start_http_server(metrics_port)
    jobs.configure(settings)
    analyses.recover_orphans(jobs.job_session_factory(), settings)
    typer.echo(f"ワーカーを起動します（並列数 {workers}、定期タスク {'あり' if periodic else 'なし'}）")
    jobs.run_consumer(workers=workers, periodic=periodic)


def _trace_worker(settings: Settings) -> None:
    """With an OTLP endpoint, the worker traces its outgoing LLM calls (and its queries) too."""
    from sales_growth.ops import tracing

    provider = tracing.tracer_provider(settings)
    if provider is not None:
        tracing.instrument_process(provider)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="移行先のリビジョン")] = "head") -> None:
    """スキーマを最新（または指定のリビジョン）に移行します。"""
    from sales_growth.db import upgrade_schema
    from sales_growth.settings import get_settings

    upgrade_schema(get_settings(), revision)
    typer.echo("データベースを最新の状態にしました。")


if __name__ == "__main__":
    app()
