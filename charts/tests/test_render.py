"""Assertions on the objects `helm template` renders for each values file."""

from __future__ import annotations

import base64
import json
import re

import pytest

from rendering import (
    BACKEND_CONFIG_KEYS,
    BACKEND_SECRET_KEYS,
    CHART_DIR,
    FRONTEND_CONFIG_KEYS,
    FRONTEND_SECRET_KEYS,
    FULLNAME,
    SECRET_KEYS,
    SECRETS_DIR,
    TEST_SECRETS,
    Rendered,
    containers,
    env_sources,
    labels_match,
    render,
    secret_files,
)

FRONTEND = f"{FULLNAME}-frontend"
BACKEND = f"{FULLNAME}-backend"
TEST_POD = f"{FULLNAME}-test-connection"
CORE = {
    ("ServiceAccount", FRONTEND),
    ("ServiceAccount", BACKEND),
    ("ConfigMap", FRONTEND),
    ("ConfigMap", BACKEND),
    ("Service", FRONTEND),
    ("Service", BACKEND),
    ("Deployment", FRONTEND),
    ("Deployment", BACKEND),
    ("Pod", TEST_POD),
}
NETWORK_POLICIES = {("NetworkPolicy", FRONTEND), ("NetworkPolicy", BACKEND)}
FRONTEND_METRICS = f"{FULLNAME}-frontend-metrics"
SERVICE_MONITORS = {("ServiceMonitor", BACKEND), ("ServiceMonitor", FRONTEND), ("Service", FRONTEND_METRICS)}
PROMETHEUS_RULE = {("PrometheusRule", FULLNAME)}
DASHBOARD_FILES = sorted((CHART_DIR / "dashboards").glob("*.json"))
DASHBOARDS = {("ConfigMap", f"{FULLNAME}-dashboard-{path.stem}") for path in DASHBOARD_FILES}
CONTAINER_PORTS = {"frontend": 3000, "backend": 8000}
APP_UID = 65532  # the images' non-root user (distroless `nonroot`)
# docs/ARCHITECTURE.md "Runtime contract of the apps": (startup and liveness, readiness) paths.
HEALTH_PATHS = {"frontend": ("/api/health", "/api/ready"), "backend": ("/health", "/ready")}


def app_container(rendered: Rendered, component: str) -> dict:
    (container,) = [c for c in rendered.deployment(component)["spec"]["template"]["spec"]["containers"] if c["name"] == component]
    return container


# Kinds and names -------------------------------------------------------------------------------


def test_default_values_render_the_core_objects_and_the_chart_secret(renders):
    assert renders["default"].kinds_and_names() == CORE | {("Secret", FULLNAME)}


def test_local_values_add_network_policies(renders):
    assert renders["local"].kinds_and_names() == CORE | {("Secret", FULLNAME)} | NETWORK_POLICIES


def test_production_values_render_autoscaling_budgets_ingress_monitoring_and_no_secret(renders):
    assert (
        renders["production"].kinds_and_names()
        == CORE
        | NETWORK_POLICIES
        | {
            ("HorizontalPodAutoscaler", FRONTEND),
            ("HorizontalPodAutoscaler", BACKEND),
            ("PodDisruptionBudget", FRONTEND),
            ("PodDisruptionBudget", BACKEND),
            ("Ingress", FULLNAME),
        }
        | SERVICE_MONITORS
        | PROMETHEUS_RULE
        | DASHBOARDS
    )


def test_every_object_is_in_the_release_namespace_with_the_release_labels(scenario):
    for o in scenario.objects:
        assert o["metadata"]["namespace"] == "todo-chatbot", o["metadata"]["name"]
        labels = o["metadata"]["labels"]
        assert labels["app.kubernetes.io/name"] == "todo-chatbot"
        assert labels["app.kubernetes.io/instance"] == "todo"
        assert labels["app.kubernetes.io/managed-by"] == "Helm"


def test_long_release_names_are_cut_to_63_characters_and_keep_the_component_suffix():
    # 53 characters: the longest release name helm accepts; with "-todo-chatbot-frontend" it is 75.
    long_release = render(set_values=TEST_SECRETS, release="r" * 53)
    for o in long_release.objects:
        assert len(o["metadata"]["name"]) <= 63, o["metadata"]["name"]
    names = {o["metadata"]["name"] for o in long_release.all("Deployment")}
    assert {name.rsplit("-", 1)[1] for name in names} == {"frontend", "backend"}


# Replicas and rollouts -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["default", "local"])
def test_one_replica_of_each_app_without_autoscaling(renders, name):
    for component in ("frontend", "backend"):
        assert renders[name].deployment(component)["spec"]["replicas"] == 1


def test_replica_count_is_the_value_set():
    rendered = render(set_values={**TEST_SECRETS, "backend.replicaCount": 3, "frontend.replicaCount": 2})
    assert rendered.deployment("backend")["spec"]["replicas"] == 3
    assert rendered.deployment("frontend")["spec"]["replicas"] == 2


def test_autoscaled_deployments_leave_replicas_to_the_autoscaler(renders):
    production = renders["production"]
    for component in ("frontend", "backend"):
        assert "replicas" not in production.deployment(component)["spec"]
        hpa = production.get("HorizontalPodAutoscaler", f"{FULLNAME}-{component}")["spec"]
        assert (hpa["minReplicas"], hpa["maxReplicas"]) == (2, 10)
        assert hpa["metrics"] == [
            {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}
        ]


def test_rollouts_surge_one_pod_and_never_lower_capacity(scenario):
    for component in ("frontend", "backend"):
        strategy = scenario.deployment(component)["spec"]["strategy"]
        assert strategy == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}


def test_pods_wait_in_pre_stop_before_sigterm_within_the_grace_period(scenario):
    for component in ("frontend", "backend"):
        pod_spec = scenario.deployment(component)["spec"]["template"]["spec"]
        sleep = app_container(scenario, component)["lifecycle"]["preStop"]["sleep"]["seconds"]
        assert 0 < sleep < pod_spec["terminationGracePeriodSeconds"]


# Probes and ports ------------------------------------------------------------------------------


def test_probes_call_the_apps_health_endpoints_on_their_real_ports(scenario):
    # The frontend's metrics server (port 9464) is declared only when ServiceMonitors scrape it.
    scraped = bool(scenario.all("ServiceMonitor"))
    for component, (health, ready) in HEALTH_PATHS.items():
        container = app_container(scenario, component)
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports == {"http": CONTAINER_PORTS[component], **({"metrics": 9464} if scraped and component == "frontend" else {})}
        for probe, path in (("startupProbe", health), ("livenessProbe", health), ("readinessProbe", ready)):
            assert container[probe]["httpGet"] == {"path": path, "port": "http"}, f"{component} {probe}"


def test_every_service_targets_a_container_port_of_the_pods_it_selects(scenario):
    for service in scenario.all("Service"):
        selected = [
            d
            for d in scenario.all("Deployment")
            if labels_match(service["spec"]["selector"], d["spec"]["template"]["metadata"]["labels"])
        ]
        assert len(selected) == 1, f"Service {service['metadata']['name']} selects {len(selected)} Deployments"
        ports = {
            p["name"]: p["containerPort"]
            for c in selected[0]["spec"]["template"]["spec"]["containers"]
            for p in c.get("ports", [])
        }
        for port in service["spec"]["ports"]:
            target = port["targetPort"]
            assert target in ports or target in ports.values(), (
                f"{service['metadata']['name']} targets {target}, pods expose {ports}"
            )


def test_services_select_their_own_component(scenario):
    for component in ("frontend", "backend"):
        selector = scenario.get("Service", f"{FULLNAME}-{component}")["spec"]["selector"]
        assert selector["app.kubernetes.io/component"] == component


def test_backend_service_is_cluster_internal(scenario):
    assert scenario.get("Service", BACKEND)["spec"]["type"] == "ClusterIP"


def test_local_frontend_is_a_node_port_on_30000(renders):
    (port,) = renders["local"].get("Service", FRONTEND)["spec"]["ports"]
    assert renders["local"].get("Service", FRONTEND)["spec"]["type"] == "NodePort"
    assert (port["port"], port["nodePort"]) == (3000, 30000)


def test_a_null_node_port_lets_kubernetes_pick_one():
    (port,) = render(set_values={**TEST_SECRETS, "frontend.service.nodePort": None}).get("Service", FRONTEND)["spec"]["ports"]
    assert "nodePort" not in port


def test_production_frontend_is_cluster_ip_behind_a_tls_ingress(renders):
    production = renders["production"]
    service = production.get("Service", FRONTEND)["spec"]
    assert service["type"] == "ClusterIP"
    assert "nodePort" not in service["ports"][0]
    ingress = production.get("Ingress", FULLNAME)["spec"]
    assert ingress["ingressClassName"] == "nginx"
    assert ingress["tls"] == [{"hosts": ["todo.example.com"], "secretName": "todo-chatbot-tls"}]
    (rule,) = ingress["rules"]
    assert rule["host"] == "todo.example.com"
    (path,) = rule["http"]["paths"]
    assert path["backend"]["service"] == {"name": FRONTEND, "port": {"name": "http"}}
    assert {p["name"] for p in service["ports"]} == {"http"}


def test_ingress_tls_secret_defaults_to_the_release_name():
    rendered = render(
        set_values={**TEST_SECRETS, "ingress.enabled": True, "ingress.host": "todo.test", "ingress.tls.enabled": True}
    )
    assert rendered.get("Ingress", FULLNAME)["spec"]["tls"] == [{"hosts": ["todo.test"], "secretName": f"{FULLNAME}-tls"}]


# Selectors -------------------------------------------------------------------------------------


def test_deployment_selectors_match_their_pod_labels(scenario):
    for deployment in scenario.all("Deployment"):
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert labels_match(selector, deployment["spec"]["template"]["metadata"]["labels"])
        assert set(selector) == {"app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/component"}


def test_budgets_policies_and_autoscalers_point_at_their_own_deployment(renders):
    production = renders["production"]
    for component in ("frontend", "backend"):
        pod_labels = production.deployment(component)["spec"]["template"]["metadata"]["labels"]
        name = f"{FULLNAME}-{component}"
        assert labels_match(production.get("PodDisruptionBudget", name)["spec"]["selector"]["matchLabels"], pod_labels)
        assert labels_match(production.get("NetworkPolicy", name)["spec"]["podSelector"]["matchLabels"], pod_labels)
        target = production.get("HorizontalPodAutoscaler", name)["spec"]["scaleTargetRef"]
        assert target == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}


# Security contexts, writable paths, service accounts (`restricted` admission: test_api_server.py)


def test_containers_run_as_the_images_user_with_a_read_only_root_filesystem(scenario):
    """Beyond `restricted` (test_api_server.py): the images' fixed UID, and no writes outside the emptyDirs."""
    for owner, pod_spec in scenario.pod_specs():
        assert pod_spec["securityContext"]["runAsUser"] == APP_UID and pod_spec["securityContext"]["runAsGroup"] == APP_UID, owner
        for container in containers(pod_spec):
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, f"{owner} {container['name']}"
            assert context["runAsUser"] == APP_UID and context["capabilities"] == {"drop": ["ALL"]}, (
                f"{owner} {container['name']}"
            )


def test_apps_write_only_to_empty_dirs_at_their_writable_paths(scenario):
    writable = {"frontend": {"/tmp", "/app/.next/cache"}, "backend": {"/tmp"}}
    for component, paths in writable.items():
        pod_spec = scenario.deployment(component)["spec"]["template"]["spec"]
        empty_dirs = {v["name"] for v in pod_spec["volumes"] if "emptyDir" in v}
        for container in containers(pod_spec):
            writable_mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"] if not m.get("readOnly")}
            assert set(writable_mounts) == paths, f"{component} container {container['name']}"
            assert set(writable_mounts.values()) <= empty_dirs
            read_only = {m["mountPath"] for m in container["volumeMounts"] if m.get("readOnly")}
            assert read_only == {SECRETS_DIR}, f"{component} container {container['name']}"


def test_every_empty_dir_has_a_size_limit(scenario):
    for owner, pod_spec in scenario.pod_specs():
        for volume in pod_spec.get("volumes", []):
            if "emptyDir" in volume:
                assert volume["emptyDir"].get("sizeLimit"), f"{owner}: emptyDir {volume['name']} without sizeLimit"


def test_no_pod_gets_a_service_account_token(scenario):
    for service_account in scenario.all("ServiceAccount"):
        assert service_account["automountServiceAccountToken"] is False
    for owner, pod_spec in scenario.pod_specs():
        assert pod_spec["automountServiceAccountToken"] is False, owner
    for component in ("frontend", "backend"):
        pod_spec = scenario.deployment(component)["spec"]["template"]["spec"]
        assert pod_spec["serviceAccountName"] == f"{FULLNAME}-{component}"
        assert scenario.has("ServiceAccount", pod_spec["serviceAccountName"])


def test_an_existing_service_account_replaces_the_charts_own():
    rendered = render(
        set_values={**TEST_SECRETS, "backend.serviceAccount.create": False, "backend.serviceAccount.name": "shared"}
    )
    assert not rendered.has("ServiceAccount", BACKEND)
    assert rendered.deployment("backend")["spec"]["template"]["spec"]["serviceAccountName"] == "shared"


# Resources -------------------------------------------------------------------------------------


UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 10**3, "M": 10**6, "G": 10**9, "": 1}


def quantity_bytes(quantity: str) -> int:
    number, unit = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", str(quantity)).groups()
    return int(float(number) * UNITS[unit])


def test_every_container_has_cpu_memory_and_ephemeral_storage_requests_and_limits(scenario):
    for owner, pod_spec in scenario.pod_specs():
        for container in containers(pod_spec):
            resources = container["resources"]
            assert {"cpu", "memory", "ephemeral-storage"} <= set(resources["requests"]), f"{owner} {container['name']}"
            assert {"memory", "ephemeral-storage"} <= set(resources["limits"]), f"{owner} {container['name']}"


def test_ephemeral_storage_limits_hold_the_empty_dirs_at_their_size_limits(scenario):
    # The kubelet evicts a pod whose emptyDirs and container writes exceed the sum of its containers' limits.
    for owner, pod_spec in scenario.pod_specs():
        empty_dirs = sum(quantity_bytes(v["emptyDir"]["sizeLimit"]) for v in pod_spec.get("volumes", []) if "emptyDir" in v)
        limits = sum(quantity_bytes(c["resources"]["limits"]["ephemeral-storage"]) for c in pod_spec["containers"])
        assert empty_dirs < limits, owner


def test_resources_are_the_values_set(renders):
    backend = app_container(renders["production"], "backend")
    assert backend["resources"] == {
        "requests": {"cpu": "250m", "memory": "256Mi", "ephemeral-storage": "64Mi"},
        "limits": {"cpu": "1", "memory": "512Mi", "ephemeral-storage": "256Mi"},
    }


# Secret, ConfigMaps and environment (docs/ARCHITECTURE.md "Environment") ----------------------


@pytest.mark.parametrize("name", ["default", "local"])
def test_chart_secret_holds_exactly_the_keys_the_apps_read(renders, name):
    secret = renders[name].get("Secret", FULLNAME)
    assert set(secret["data"]) == SECRET_KEYS
    decoded = {key: base64.b64decode(value).decode() for key, value in secret["data"].items()}
    assert decoded == {
        "DATABASE_URL": TEST_SECRETS["secrets.databaseUrl"],
        "BETTER_AUTH_SECRET": TEST_SECRETS["secrets.betterAuthSecret"],
        "OPENROUTER_API_KEY": TEST_SECRETS["secrets.openrouterApiKey"],
    }


def test_config_maps_hold_exactly_the_keys_the_apps_read(scenario):
    assert set(scenario.get("ConfigMap", BACKEND)["data"]) == BACKEND_CONFIG_KEYS
    assert set(scenario.get("ConfigMap", FRONTEND)["data"]) == FRONTEND_CONFIG_KEYS


def test_config_values_reach_the_config_maps(renders):
    local_backend = renders["local"].get("ConfigMap", BACKEND)["data"]
    assert local_backend == {
        "LOG_LEVEL": "DEBUG",
        "OPENROUTER_BASE_URL": "https://openrouter.ai/api/v1",
        "OPENROUTER_MODEL": "openai/gpt-4o-mini",
        "ALLOWED_ORIGINS": "http://localhost:3000",
    }
    production_frontend = renders["production"].get("ConfigMap", FRONTEND)["data"]
    assert production_frontend["BETTER_AUTH_URL"] == "https://todo.example.com"
    assert renders["production"].get("ConfigMap", BACKEND)["data"]["ALLOWED_ORIGINS"] == "https://todo.example.com"


def test_backend_url_is_the_backend_services_own_name_and_port(scenario):
    service = scenario.get("Service", BACKEND)
    (port,) = service["spec"]["ports"]
    expected = f"http://{service['metadata']['name']}:{port['port']}"
    assert scenario.get("ConfigMap", FRONTEND)["data"]["BACKEND_URL"] == expected == "http://todo-todo-chatbot-backend:8000"


SECRET_NAMES = {"default": FULLNAME, "local": FULLNAME, "production": "todo-chatbot-secrets"}
APP_ENVIRONMENT = {
    "backend": (BACKEND_SECRET_KEYS, BACKEND_CONFIG_KEYS),
    "frontend": (FRONTEND_SECRET_KEYS, FRONTEND_CONFIG_KEYS),
}


@pytest.mark.parametrize("name", sorted(SECRET_NAMES))
@pytest.mark.parametrize("component", sorted(APP_ENVIRONMENT))
def test_each_app_reads_its_secret_keys_as_files_and_its_config_map(renders, name, component):
    rendered = renders[name]
    secret_keys, config_keys = APP_ENVIRONMENT[component]
    config_map = f"{FULLNAME}-{component}"
    assert set(rendered.get("ConfigMap", config_map)["data"]) == config_keys
    pod_spec = rendered.deployment(component)["spec"]["template"]["spec"]
    for container in containers(pod_spec):
        (files,) = secret_files(pod_spec, container)
        assert (files.secret, files.keys, files.optional_keys) == (
            SECRET_NAMES[name],
            secret_keys,
            {"OPENROUTER_API_KEY"} & secret_keys,
        ), container["name"]
        assert (files.mount_path, files.read_only) == (SECRETS_DIR, True), container["name"]
        secret_env, config_maps, plain_env = env_sources(container)
        assert secret_env == {}, container["name"]
        assert config_maps == {config_map}, container["name"]
        assert plain_env <= {"HOSTNAME", "SECRETS_DIR"}, container["name"]
        assert {e["name"]: e.get("value") for e in container["env"]}["SECRETS_DIR"] == SECRETS_DIR


def test_no_secret_value_reaches_any_container_as_an_environment_variable(scenario):
    for owner, pod_spec in scenario.pod_specs():
        for container in containers(pod_spec):
            secret_env, _, _ = env_sources(container)
            assert secret_env == {}, f"{owner} {container['name']}"
            assert not [s for s in container.get("envFrom", []) if "secretRef" in s], f"{owner} {container['name']}"


def test_secret_files_are_readable_by_root_and_the_pods_group_only(scenario):
    for component in ("frontend", "backend"):
        pod_spec = scenario.deployment(component)["spec"]["template"]["spec"]
        assert pod_spec["securityContext"]["fsGroup"] == APP_UID  # the group the kubelet gives the files
        for container in containers(pod_spec):
            (files,) = secret_files(pod_spec, container)
            assert files.mode == 0o440, f"{component} {container['name']}"


def test_frontend_listens_on_all_interfaces_despite_the_pod_hostname(scenario):
    env = {e["name"]: e.get("value") for e in app_container(scenario, "frontend")["env"]}
    assert env["HOSTNAME"] == "0.0.0.0"


def test_existing_secret_switches_the_chart_secret_off_and_is_referenced():
    rendered = render(set_values={"existingSecret": "my-secret"})
    assert rendered.all("Secret") == []
    for component in ("frontend", "backend"):
        pod_spec = rendered.deployment(component)["spec"]["template"]["spec"]
        for container in containers(pod_spec):
            assert [files.secret for files in secret_files(pod_spec, container)] == ["my-secret"]
        assert "checksum/secret" not in rendered.deployment(component)["spec"]["template"]["metadata"]["annotations"]


def test_only_the_openrouter_key_may_be_absent_from_an_existing_secret(renders):
    # A missing required key keeps the pod from starting (as a secretKeyRef did); a missing API key means offline mode.
    pod_spec = renders["production"].deployment("backend")["spec"]["template"]["spec"]
    (volume,) = [v for v in pod_spec["volumes"] if v["name"] == "secrets"]
    optional = {
        item["key"]: s["secret"].get("optional", False) for s in volume["projected"]["sources"] for item in s["secret"]["items"]
    }
    assert optional == {"DATABASE_URL": False, "BETTER_AUTH_SECRET": False, "OPENROUTER_API_KEY": True}


# Checksums -------------------------------------------------------------------------------------


def pod_annotations(rendered: Rendered, component: str) -> dict[str, str]:
    return rendered.deployment(component)["spec"]["template"]["metadata"]["annotations"]


def test_config_change_rolls_only_the_pods_that_read_it(renders):
    before = renders["default"]
    after = render(set_values={**TEST_SECRETS, "backend.config.logLevel": "WARNING"})
    assert pod_annotations(after, "backend")["checksum/config"] != pod_annotations(before, "backend")["checksum/config"]
    assert pod_annotations(after, "frontend")["checksum/config"] == pod_annotations(before, "frontend")["checksum/config"]


def test_frontend_url_change_rolls_both_apps(renders):
    # BETTER_AUTH_URL is the frontend's, and the backend's ALLOWED_ORIGINS follows it.
    before = renders["default"]
    after = render(set_values={**TEST_SECRETS, "frontend.config.betterAuthUrl": "http://todo.test:30000"})
    for component in ("frontend", "backend"):
        assert pod_annotations(after, component)["checksum/config"] != pod_annotations(before, component)["checksum/config"]


def test_secret_change_rolls_the_pods(renders):
    before = renders["default"]
    after = render(set_values={**TEST_SECRETS, "secrets.betterAuthSecret": "another-test-secret-that-is-long-enough"})
    for component in ("frontend", "backend"):
        assert pod_annotations(after, component)["checksum/secret"] != pod_annotations(before, component)["checksum/secret"]
        assert pod_annotations(after, component)["checksum/config"] == pod_annotations(before, component)["checksum/config"]


# Migrations ------------------------------------------------------------------------------------


def test_migrations_run_in_an_init_container_of_the_backend_image_before_it_serves(scenario):
    pod_spec = scenario.deployment("backend")["spec"]["template"]["spec"]
    (migrate,) = pod_spec["initContainers"]
    backend = app_container(scenario, "backend")
    assert migrate["args"] == ["-m", "app.prestart"]
    assert "command" not in migrate  # the image's entrypoint is the virtualenv's python
    assert migrate["image"] == backend["image"]
    assert env_sources(migrate) == env_sources(backend)
    assert secret_files(pod_spec, migrate) == secret_files(pod_spec, backend)
    assert "initContainers" not in scenario.deployment("frontend")["spec"]["template"]["spec"]


def test_migrations_can_be_switched_off():
    rendered = render(set_values={**TEST_SECRETS, "backend.migrations.enabled": False})
    assert "initContainers" not in rendered.deployment("backend")["spec"]["template"]["spec"]


# Images ----------------------------------------------------------------------------------------


def test_image_tag_defaults_to_the_app_version_and_follows_the_values():
    rendered = render(set_values={**TEST_SECRETS, "backend.image.tag": "abc123", "frontend.image.pullPolicy": "Never"})
    assert app_container(rendered, "backend")["image"] == "todo-chatbot-backend:abc123"
    frontend = app_container(rendered, "frontend")
    assert frontend["image"] == "todo-chatbot-frontend:0.1.0"
    assert frontend["imagePullPolicy"] == "Never"


DIGEST = "sha256:" + "0123456789abcdef" * 4


def test_a_digest_pins_every_container_of_the_component_to_that_image():
    # With a digest and no tag, no appVersion tag is made up beside it; with both, the tag is kept for people to read.
    rendered = render(
        set_values={
            **TEST_SECRETS,
            "backend.image.digest": DIGEST,
            "frontend.image.repository": "registry.test:5000/todo/frontend",
            "frontend.image.tag": "4e5f6a7b",
            "frontend.image.digest": DIGEST,
        }
    )
    expected = {
        "backend": f"todo-chatbot-backend@{DIGEST}",
        "frontend": f"registry.test:5000/todo/frontend:4e5f6a7b@{DIGEST}",
    }
    for component, image in expected.items():
        pod_spec = rendered.deployment(component)["spec"]["template"]["spec"]
        assert {c["image"] for c in containers(pod_spec)} == {image}, component
    test_images = {c["name"]: c["image"] for c in rendered.get("Pod", TEST_POD)["spec"]["containers"]}
    assert test_images == {"backend-ready": expected["backend"], "frontend-ready": expected["frontend"]}


# Value-switched objects ------------------------------------------------------------------------

SWITCHES = {
    "networkPolicy.enabled": NETWORK_POLICIES,
    "backend.autoscaling.enabled": {("HorizontalPodAutoscaler", BACKEND)},
    "frontend.autoscaling.enabled": {("HorizontalPodAutoscaler", FRONTEND)},
    "backend.podDisruptionBudget.enabled": {("PodDisruptionBudget", BACKEND)},
    "frontend.podDisruptionBudget.enabled": {("PodDisruptionBudget", FRONTEND)},
    "ingress.enabled": {("Ingress", FULLNAME)},
    "metrics.serviceMonitor.enabled": SERVICE_MONITORS,
    "metrics.prometheusRule.enabled": PROMETHEUS_RULE,
    "metrics.dashboards.enabled": DASHBOARDS,
}


@pytest.mark.parametrize("switch", sorted(SWITCHES))
def test_optional_objects_appear_only_when_switched_on(renders, switch):
    off = renders["default"].kinds_and_names()
    on = render(set_values={**TEST_SECRETS, "ingress.host": "todo.test", switch: True}).kinds_and_names()
    assert not off & SWITCHES[switch]
    assert on - off == SWITCHES[switch]


def test_prometheus_scrape_annotations_follow_backend_metrics(renders):
    on = pod_annotations(renders["default"], "backend")
    assert (on["prometheus.io/scrape"], on["prometheus.io/port"], on["prometheus.io/path"]) == ("true", "8000", "/metrics")
    assert not any(key.startswith("prometheus.io/") for key in pod_annotations(renders["default"], "frontend"))
    off = pod_annotations(render(set_values={**TEST_SECRETS, "backend.metrics.enabled": False}), "backend")
    assert not any(key.startswith("prometheus.io/") for key in off)


# NetworkPolicies -------------------------------------------------------------------------------


def test_backend_admits_only_the_frontend_and_the_helm_test(renders):
    policy = renders["local"].get("NetworkPolicy", BACKEND)["spec"]
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    (rule,) = policy["ingress"]
    components = {peer["podSelector"]["matchLabels"]["app.kubernetes.io/component"] for peer in rule["from"]}
    assert components == {"frontend", "helm-test"}
    assert all(peer["podSelector"]["matchLabels"]["app.kubernetes.io/instance"] == "todo" for peer in rule["from"])
    assert rule["ports"] == [{"port": "http", "protocol": "TCP"}]
    test_pod_labels = renders["local"].get("Pod", TEST_POD)["metadata"]["labels"]
    assert any(labels_match(peer["podSelector"]["matchLabels"], test_pod_labels) for peer in rule["from"])


def test_egress_allows_dns_the_database_and_only_what_each_app_calls(renders):
    local = renders["local"]
    frontend_ports = {
        (p["port"], p["protocol"]) for rule in local.get("NetworkPolicy", FRONTEND)["spec"]["egress"] for p in rule["ports"]
    }
    backend_ports = {
        (p["port"], p["protocol"]) for rule in local.get("NetworkPolicy", BACKEND)["spec"]["egress"] for p in rule["ports"]
    }
    assert frontend_ports == {(53, "UDP"), (53, "TCP"), ("http", "TCP"), (5432, "TCP")}
    assert backend_ports == {(53, "UDP"), (53, "TCP"), (5432, "TCP"), (443, "TCP")}


def test_backend_https_egress_can_be_closed_for_an_offline_assistant():
    rendered = render(set_values={**TEST_SECRETS, "networkPolicy.enabled": True, "networkPolicy.backend.allowHttpsEgress": False})
    ports = {p["port"] for rule in rendered.get("NetworkPolicy", BACKEND)["spec"]["egress"] for p in rule["ports"]}
    assert ports == {53, 5432}


def test_database_peers_narrow_the_database_egress():
    peers = [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "postgresql"}}}]
    rendered = render(set_values={**TEST_SECRETS, "networkPolicy.enabled": True, "networkPolicy.database.to": peers})
    for name in (FRONTEND, BACKEND):
        (database_rule,) = [
            r for r in rendered.get("NetworkPolicy", name)["spec"]["egress"] if {"port": 5432, "protocol": "TCP"} in r["ports"]
        ]
        assert database_rule["to"] == peers


# Monitoring (metrics.*; the alerts themselves are unit-tested with promtool: scripts/test-monitoring.sh)


def monitoring_render(**values) -> Rendered:
    return render(set_values={**TEST_SECRETS, "metrics.serviceMonitor.enabled": True, "networkPolicy.enabled": True, **values})


def container_ports(rendered: Rendered, component: str) -> dict[str, int]:
    return {p["name"]: p["containerPort"] for p in app_container(rendered, component)["ports"]}


def test_service_monitors_scrape_each_apps_metrics_endpoint_through_its_own_service():
    rendered = monitoring_render()
    for component, service_name, port_name, port in (
        ("backend", BACKEND, "http", 8000),
        ("frontend", FRONTEND_METRICS, "metrics", 9464),
    ):
        monitor = rendered.get("ServiceMonitor", f"{FULLNAME}-{component}")
        assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
        assert monitor["spec"]["namespaceSelector"] == {"matchNames": ["todo-chatbot"]}
        selected = [
            s
            for s in rendered.all("Service")
            if labels_match(monitor["spec"]["selector"]["matchLabels"], s["metadata"]["labels"])
        ]
        assert [s["metadata"]["name"] for s in selected] == [service_name], f"{component}'s ServiceMonitor selects {selected}"
        (endpoint,) = monitor["spec"]["endpoints"]
        assert (endpoint["port"], endpoint["path"], endpoint["scheme"]) == (port_name, "/metrics", "http")
        assert (endpoint["interval"], endpoint["scrapeTimeout"]) == ("30s", "10s")
        (service_port,) = [p for p in selected[0]["spec"]["ports"] if p["name"] == port_name]
        assert container_ports(rendered, component)[service_port["targetPort"]] == port


def test_the_frontend_metrics_port_is_declared_only_when_scraped_and_never_on_the_public_service(renders):
    assert container_ports(renders["default"], "frontend") == {"http": 3000}
    rendered = monitoring_render()
    assert container_ports(rendered, "frontend") == {"http": 3000, "metrics": 9464}
    assert container_ports(rendered, "backend") == {"http": 8000}
    # The frontend Service is a NodePort here: its ports are exposed on every node.
    assert rendered.get("Service", FRONTEND)["spec"]["type"] == "NodePort"
    assert {p["name"] for p in rendered.get("Service", FRONTEND)["spec"]["ports"]} == {"http"}
    metrics_service = rendered.get("Service", FRONTEND_METRICS)["spec"]
    assert metrics_service["type"] == "ClusterIP"
    assert metrics_service["ports"] == [{"name": "metrics", "port": 9464, "targetPort": "metrics", "protocol": "TCP"}]
    assert labels_match(metrics_service["selector"], rendered.deployment("frontend")["spec"]["template"]["metadata"]["labels"])


def test_service_monitor_settings_are_the_values_set():
    relabelings = [{"action": "replace", "sourceLabels": ["__meta_kubernetes_pod_node_name"], "targetLabel": "node"}]
    metric_relabelings = [{"action": "drop", "sourceLabels": ["__name__"], "regex": "python_gc_.*"}]
    rendered = monitoring_render(
        **{
            "metrics.serviceMonitor.interval": "15s",
            "metrics.serviceMonitor.scrapeTimeout": "5s",
            "metrics.serviceMonitor.labels": {"release": "kube-prometheus-stack"},
            "metrics.serviceMonitor.relabelings": relabelings,
            "metrics.serviceMonitor.metricRelabelings": metric_relabelings,
        }
    )
    for monitor in rendered.all("ServiceMonitor"):
        assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
        assert monitor["metadata"]["labels"]["app.kubernetes.io/instance"] == "todo"
        (endpoint,) = monitor["spec"]["endpoints"]
        assert (endpoint["interval"], endpoint["scrapeTimeout"]) == ("15s", "5s")
        assert (endpoint["relabelings"], endpoint["metricRelabelings"]) == (relabelings, metric_relabelings)


def ingress_rules(rendered: Rendered, name: str) -> list[dict]:
    return rendered.get("NetworkPolicy", name)["spec"]["ingress"]


def test_network_policies_admit_prometheus_to_the_metrics_ports_only_when_scraped(renders):
    # Off: the frontend admits only its public port, the backend only the frontend and the helm test.
    assert ingress_rules(renders["local"], FRONTEND) == [{"ports": [{"port": "http", "protocol": "TCP"}]}]
    assert len(ingress_rules(renders["local"], BACKEND)) == 1
    monitoring = [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}]
    rendered = monitoring_render()
    frontend_public, frontend_metrics = ingress_rules(rendered, FRONTEND)
    assert frontend_public == {"ports": [{"port": "http", "protocol": "TCP"}]}
    assert frontend_metrics == {"from": monitoring, "ports": [{"port": "metrics", "protocol": "TCP"}]}
    backend_apps, backend_metrics = ingress_rules(rendered, BACKEND)
    assert backend_apps == ingress_rules(renders["local"], BACKEND)[0]
    assert backend_metrics == {"from": monitoring, "ports": [{"port": "http", "protocol": "TCP"}]}
    # Egress is unchanged by monitoring.
    for name in (FRONTEND, BACKEND):
        assert (
            rendered.get("NetworkPolicy", name)["spec"]["egress"] == renders["local"].get("NetworkPolicy", name)["spec"]["egress"]
        )


def test_the_scrapers_are_the_namespaces_and_pods_selected():
    namespaces = {"matchExpressions": [{"key": "team", "operator": "In", "values": ["observability"]}]}
    pods = {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}
    # Helm merges maps with the defaults: the default matchLabels goes only when set to null (values.yaml says so).
    rendered = monitoring_render(
        **{
            "metrics.networkPolicy.allowFromNamespaceSelector": {**namespaces, "matchLabels": None},
            "metrics.networkPolicy.allowFromPodSelector": pods,
        }
    )
    for name in (FRONTEND, BACKEND):
        # One peer with both selectors: those pods in those namespaces, not either.
        assert ingress_rules(rendered, name)[-1]["from"] == [{"namespaceSelector": namespaces, "podSelector": pods}]


ALERTS = {
    "TodoChatbotBackendDown": "critical",
    "TodoChatbotBackendErrors": "critical",
    "TodoChatbotBackendSlow": "warning",
    "TodoChatbotPodRestarting": "warning",
    "TodoChatbotModelProviderErrors": "warning",
    "TodoChatbotPostgresqlDown": "critical",
    "TodoChatbotPostgresqlVolumeNearlyFull": "warning",
}


def alert_rules(rendered: Rendered) -> dict[str, dict]:
    (rule,) = rendered.all("PrometheusRule")
    return {r["alert"]: r for group in rule["spec"]["groups"] for r in group["rules"]}


def test_prometheus_rule_has_every_alert_with_its_severity_annotations_and_runbook():
    rendered = render(set_values={**TEST_SECRETS, "metrics.prometheusRule.enabled": True})
    (rule,) = rendered.all("PrometheusRule")
    assert (rule["apiVersion"], rule["metadata"]["namespace"]) == ("monitoring.coreos.com/v1", "todo-chatbot")
    alerts = alert_rules(rendered)
    assert {name: r["labels"]["severity"] for name, r in alerts.items()} == ALERTS
    for name, r in alerts.items():
        assert set(r["annotations"]) == {"summary", "description", "runbook_url"}, name
        assert r["annotations"]["runbook_url"] == f"docs/RUNBOOKS.md#{name.lower()}"
        assert re.fullmatch(r"[0-9]+[smh]", r["for"]), name


def test_every_alert_is_scoped_to_the_release_namespace_and_the_releases_own_series():
    alerts = alert_rules(render(set_values={**TEST_SECRETS, "metrics.prometheusRule.enabled": True}, release="other"))
    backend_job = 'job="other-todo-chatbot-backend"'
    for name, r in alerts.items():
        selectors = re.findall(r"\{([^}]*)\}", r["expr"])
        assert selectors and all('namespace="todo-chatbot"' in s for s in selectors), f"{name}: {r['expr']}"
    for name in (
        "TodoChatbotBackendDown",
        "TodoChatbotBackendErrors",
        "TodoChatbotBackendSlow",
        "TodoChatbotModelProviderErrors",
    ):
        assert all(backend_job in s for s in re.findall(r"\{([^}]*)\}", alerts[name]["expr"])), name
    assert 'pod=~"other-todo-chatbot-(frontend|backend)-.+"' in alerts["TodoChatbotPodRestarting"]["expr"]
    assert 'job="postgresql-metrics"' in alerts["TodoChatbotPostgresqlDown"]["expr"]
    assert 'persistentvolumeclaim="data-postgresql-0"' in alerts["TodoChatbotPostgresqlVolumeNearlyFull"]["expr"]


def test_alert_thresholds_and_settings_are_the_values_set():
    rendered = render(
        set_values={
            **TEST_SECRETS,
            "metrics.prometheusRule.enabled": True,
            "metrics.prometheusRule.labels": {"release": "kube-prometheus-stack"},
            "metrics.prometheusRule.runbookBaseUrl": "https://git.example.com/todo/blob/main/docs/RUNBOOKS.md",
            "metrics.prometheusRule.backendErrors.threshold": 0.1,
            "metrics.prometheusRule.backendErrors.window": "15m",
            "metrics.prometheusRule.backendLatency.thresholdSeconds": 2.5,
            "metrics.prometheusRule.backendLatency.ignoredRoutes": "/api/slow",
            "metrics.prometheusRule.podRestarts.podRegex": ".+",
            "metrics.prometheusRule.modelProviderErrors.minRequests": 50,
            "metrics.prometheusRule.backendDown.for": "7m",
            "metrics.prometheusRule.backendDown.severity": "page",
            "metrics.prometheusRule.postgresql.job": "pg-exporter",
            "metrics.prometheusRule.postgresql.volume.claimName": "pgdata",
            "metrics.prometheusRule.postgresql.volume.minFreeRatio": 0.2,
        }
    )
    (rule,) = rendered.all("PrometheusRule")
    assert rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    alerts = alert_rules(rendered)
    assert alerts["TodoChatbotBackendDown"]["annotations"]["runbook_url"] == (
        "https://git.example.com/todo/blob/main/docs/RUNBOOKS.md#todochatbotbackenddown"
    )
    assert (alerts["TodoChatbotBackendDown"]["for"], alerts["TodoChatbotBackendDown"]["labels"]["severity"]) == ("7m", "page")
    assert ") > 0.1\n" in alerts["TodoChatbotBackendErrors"]["expr"] and "[15m]" in alerts["TodoChatbotBackendErrors"]["expr"]
    assert (
        ") > 2.5\n" in alerts["TodoChatbotBackendSlow"]["expr"]
        and 'route!~"/api/slow"' in alerts["TodoChatbotBackendSlow"]["expr"]
    )
    assert 'pod=~".+"' in alerts["TodoChatbotPodRestarting"]["expr"]
    assert alerts["TodoChatbotModelProviderErrors"]["expr"].endswith(">= 50")
    assert 'job="pg-exporter"' in alerts["TodoChatbotPostgresqlDown"]["expr"]
    volume = alerts["TodoChatbotPostgresqlVolumeNearlyFull"]["expr"]
    assert 'persistentvolumeclaim="pgdata"' in volume and volume.endswith("< 0.2")


def test_postgresql_alerts_can_be_left_out():
    values = {**TEST_SECRETS, "metrics.prometheusRule.enabled": True, "metrics.prometheusRule.postgresql.enabled": False}
    assert set(alert_rules(render(set_values=values))) == set(ALERTS) - {
        "TodoChatbotPostgresqlDown",
        "TodoChatbotPostgresqlVolumeNearlyFull",
    }


def test_dashboards_are_config_maps_for_the_grafana_sidecar_with_the_charts_json_files():
    assert DASHBOARD_FILES, "no dashboards in charts/todo-chatbot/dashboards"
    rendered = render(set_values={**TEST_SECRETS, "metrics.dashboards.enabled": True})
    for path in DASHBOARD_FILES:
        config_map = rendered.get("ConfigMap", f"{FULLNAME}-dashboard-{path.stem}")
        assert config_map["metadata"]["namespace"] == "todo-chatbot"
        assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
        assert "annotations" not in config_map["metadata"]
        assert list(config_map["data"]) == [path.name]
        assert json.loads(config_map["data"][path.name]) == json.loads(path.read_text()), "the file as it is, not templated"


def test_dashboard_label_namespace_and_annotations_are_the_values_set():
    rendered = render(
        set_values={
            **TEST_SECRETS,
            "metrics.dashboards.enabled": True,
            "metrics.dashboards.namespace": "monitoring",
            "metrics.dashboards.label": "grafana.example.com/dashboard",
            "metrics.dashboards.labelValue": "todo",
            "metrics.dashboards.annotations": {"grafana_folder": "Todo Chatbot"},
        }
    )
    dashboards = [o for o in rendered.all("ConfigMap") if ("ConfigMap", o["metadata"]["name"]) in DASHBOARDS]
    assert len(dashboards) == len(DASHBOARD_FILES)
    for config_map in dashboards:
        metadata = config_map["metadata"]
        assert metadata["namespace"] == "monitoring"
        assert metadata["labels"]["grafana.example.com/dashboard"] == "todo" and "grafana_dashboard" not in metadata["labels"]
        assert metadata["annotations"] == {"grafana_folder": "Todo Chatbot"}


def test_dashboards_have_the_datasource_and_namespace_variables_and_stable_uids():
    uids = set()
    for path in DASHBOARD_FILES:
        dashboard = json.loads(path.read_text())
        variables = {v["name"]: v for v in dashboard["templating"]["list"]}
        assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus", path.name
        assert variables["namespace"]["type"] == "query", path.name
        assert dashboard["uid"] == f"todo-chatbot-{path.stem}"
        uids.add(dashboard["uid"])
        for panel in dashboard["panels"]:
            for target in panel.get("targets", []):
                assert target["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, f"{path.name}: {panel['title']}"
                assert "$namespace" in target["expr"], f"{path.name}: {panel['title']}: {target['expr']}"
    assert len(uids) == len(DASHBOARD_FILES)


# helm test -------------------------------------------------------------------------------------


def test_helm_test_pod_uses_only_the_apps_own_images(scenario):
    pod = scenario.get("Pod", TEST_POD)
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    assert pod["spec"]["restartPolicy"] == "Never"
    images = {c["image"] for c in pod["spec"]["containers"]}
    assert images == {app_container(scenario, "backend")["image"], app_container(scenario, "frontend")["image"]}
    urls = {next(e["value"] for e in c["env"] if e["name"] == "URL") for c in pod["spec"]["containers"]}
    assert urls == {"http://todo-todo-chatbot-backend:8000/ready", "http://todo-todo-chatbot-frontend:3000/api/ready"}
