"""The deployment files stay consistent with the code (no Docker engine runs here)."""

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).parents[2]
CONTRACT_VARS = {
    "DATABASE_URL",
    "CALENDAR_BACKEND",
    "GOOGLE_CALENDAR_ID",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "WHATSAPP_VERIFY_TOKEN",
    "WHATSAPP_APP_SECRET",
    "WHATSAPP_ACCESS_TOKEN",
    "WHATSAPP_PHONE_NUMBER_ID",
    "WHATSAPP_API_URL",
    "DUCKLING_URL",
    "RASA_AUTH_TOKEN",
}


def test_compose_has_one_service_per_process_with_the_contract_variables() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"rasa", "actions", "duckling", "postgres"} <= set(services)
    # Each contract variable is set, or its file given (NAME_FILE), where it is used; Rasa's
    # API token exists in development only (tests/unit/test_secrets_per_service.py).
    rasa = {name.removesuffix("_FILE") for name in services["rasa"]["environment"]}
    assert CONTRACT_VARS - {"RASA_AUTH_TOKEN"} <= rasa
    actions = {name.removesuffix("_FILE") for name in services["actions"]["environment"]}
    assert {"DATABASE_URL", "CALENDAR_BACKEND", "GOOGLE_APPLICATION_CREDENTIALS"} <= actions
    assert services["rasa"]["ports"] == ["127.0.0.1:5005:5005"]  # never on every interface
    assert services["console"]["ports"] == ["127.0.0.1:8070:8070"]
    assert services["caddy"]["ports"] == ["80:80", "443:443"]  # the only public entry
    assert services["console"]["command"][:3] == ["python", "-m", "clinic.app.console"]
    for name in ("actions", "duckling", "postgres", "worker", "redis"):
        assert "ports" not in services[name], name


def test_compose_gives_the_console_alone_its_session_key_as_a_file() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    console = services["console"]
    assert console["environment"]["CONSOLE_SESSION_KEY_FILE"] == "/run/secrets/console_session_key"
    assert "console_session_key" in console["secrets"]
    assert compose["secrets"]["console_session_key"] == {"file": "./secrets/console_session_key"}
    for name, service in services.items():
        if name != "console":
            assert not {"CONSOLE_SESSION_KEY", "CONSOLE_SESSION_KEY_FILE"} & set(
                service.get("environment") or {}
            ), name
            assert "console_session_key" not in (service.get("secrets") or []), name
    # no default that opens the console: compose refuses to start without an explicit choice
    for name in ("console", "caddy"):
        assert services[name]["environment"]["CONSOLE_ALLOW"].startswith("${CONSOLE_ALLOW:?")


def test_every_contract_variable_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = sorted(v for v in CONTRACT_VARS | {"GOOGLE_API_ROOT_URL"} if f"`{v}`" not in readme)
    assert not missing, f"README.md does not document {missing}"


def test_ci_runs_the_readme_commands() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make install" in ci and "make test" in ci
    assert "make install" in readme and "make test" in readme


def test_compose_file_is_valid_for_the_compose_client() -> None:
    """Debian's `docker-compose` parses it without an engine, and refuses it without each
    required variable, naming it (the secrets are files: tests/unit/test_secrets_per_service.py)."""
    if shutil.which("docker-compose") is None:
        pytest.fail("docker-compose is missing: `make install-compose` (Debian's package)")
    command = ["docker-compose", "config", "-q"]
    required = ("CLINIC_DOMAIN", "ACME_EMAIL", "CONSOLE_ALLOW", "WHATSAPP_PHONE_NUMBER_ID")
    env = {k: v for k, v in os.environ.items() if k not in required}
    secrets = {name: "x" * 24 for name in required}
    result = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=60, env={**env, **secrets}
    )
    assert result.returncode == 0, result.stderr
    # without each secret, compose refuses to start anything, and says which
    for name in required:
        partial = {k: v for k, v in secrets.items() if k != name}
        refused = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=60, env={**env, **partial}
        )
        assert refused.returncode != 0 and name in refused.stderr


def test_compose_runs_a_worker_and_rasa_mounts_the_whatsapp_channel() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert compose["services"]["worker"]["command"][-1] == "worker"
    credentials = yaml.safe_load((ROOT / "credentials.yml").read_text())
    assert list(credentials) == ["connectors.whatsapp.WhatsAppInput"]  # no REST in production
    whatsapp = credentials["connectors.whatsapp.WhatsAppInput"]
    assert whatsapp == {
        "verify_token": "${WHATSAPP_VERIFY_TOKEN}",
        "app_secret": "${WHATSAPP_APP_SECRET}",
        "access_token": "${WHATSAPP_ACCESS_TOKEN}",
        "phone_number_id": "${WHATSAPP_PHONE_NUMBER_ID}",
        "api_url": "${WHATSAPP_API_URL}",
    }


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    for name in (
        "WHATSAPP_MAX_MESSAGE_AGE",
        "PATIENT_ID_KEY",
        "SIMULATOR_PORT",
        "SIMULATOR_WA_ID",
        "CONSOLE_PORT",
        "CONSOLE_HOST",
        "CONSOLE_SESSION_KEY",
        "CONSOLE_SESSION_KEY_FILE",
        "CONSOLE_ALLOW",
    ):
        assert f"`{name}`" in readme or f"{name}`" in readme, name


def test_haproxy_config_is_valid_for_haproxy() -> None:
    """`haproxy -c`, the real parser (Debian's package, installed by `make install-haproxy`)."""
    import subprocess

    ports = ("LB_RASA_PORT", "RASA_1_PORT", "RASA_2_PORT", "LB_ACTIONS_PORT", "ACTIONS_1_PORT")
    env = {**os.environ, **{name: str(5100 + i) for i, name in enumerate(ports)}}
    env.update(ACTIONS_2_PORT="5199", HAPROXY_STATS_SOCKET="/tmp/haproxy-check.sock")
    checked = subprocess.run(
        ["haproxy", "-c", "-f", str(ROOT / "deploy" / "haproxy.cfg")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    env.pop("RASA_2_PORT")  # a port left unset is an error, not a server on port 0
    assert (
        subprocess.run(
            ["haproxy", "-c", "-f", str(ROOT / "deploy" / "haproxy.cfg")],
            env=env,
            capture_output=True,
            check=False,
        ).returncode
        != 0
    )


def test_the_lock_store_is_in_memory_by_default_and_redis_for_replicas(monkeypatch) -> None:  # noqa: ANN001
    """endpoints.yml as Rasa reads it, with the variables `devtools.stack` sets."""
    from rasa.core.lock_store import InMemoryLockStore, LockStore, RedisLockStore
    from rasa.utils.endpoints import read_endpoint_config

    from devtools.stack import LOCK_STORE_DEFAULTS

    for name, value in LOCK_STORE_DEFAULTS.items():
        monkeypatch.setenv(name, value)
    for name in ("ACTION_SERVER_URL", "ACTION_SERVER_TOKEN", "DATABASE_URL"):
        monkeypatch.setenv(name, "set")  # the file's other sections
    endpoints = str(ROOT / "endpoints.yml")
    assert isinstance(
        LockStore.create(read_endpoint_config(endpoints, "lock_store")), InMemoryLockStore
    )
    monkeypatch.setenv("LOCK_STORE_TYPE", "redis")
    store = LockStore.create(read_endpoint_config(endpoints, "lock_store"))
    assert isinstance(store, RedisLockStore)
    assert store.red.connection_pool.connection_kwargs["port"] == 6379
    assert store.key_prefix.startswith("clinic:")


PROMETHEUS = ROOT / "deploy" / "prometheus"


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("promtool") is None:
        pytest.fail("promtool is missing: `make install-promtool` (Debian's prometheus package)")
    return subprocess.run(
        ["promtool", *args], cwd=PROMETHEUS, capture_output=True, text=True, timeout=120
    )


def test_the_alert_rules_are_valid_and_their_unit_tests_pass() -> None:
    checked = promtool("check", "rules", "alerts.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = promtool("test", "rules", "alerts_test.yml")
    assert tested.returncode == 0 and "SUCCESS" in tested.stdout, tested.stdout + tested.stderr
    config = promtool("check", "config", "prometheus.yml")
    assert config.returncode == 0, config.stdout + config.stderr


def test_every_alert_has_a_unit_test() -> None:
    rules = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    tests = yaml.safe_load((PROMETHEUS / "alerts_test.yml").read_text())["tests"]
    firing = {
        case["alertname"]
        for test in tests
        for case in test["alert_rule_test"]
        if case["exp_alerts"]
    }
    assert alerts == firing, alerts ^ firing


def test_rules_and_dashboard_use_only_metrics_the_code_exports() -> None:
    """A renamed metric must not leave an alert or a panel silently empty."""
    from prometheus_client import REGISTRY

    from clinic.adapters.metrics import DatabaseGauges
    from clinic.adapters.storage import Database

    exported = {name for family in REGISTRY.collect() for name in _series(family)}
    database = Database("sqlite://")
    database.create_schema()
    gauges = DatabaseGauges(database, lambda: datetime.now(timezone.utc)).collect()
    exported |= {family.name for family in gauges} | {"up"}
    dashboard = (ROOT / "deploy" / "grafana" / "clinic-dashboard.json").read_text()
    used = set(re.findall(r"\b(clinic_[a-z_]+|up)\b", (PROMETHEUS / "alerts.yml").read_text()))
    used |= set(re.findall(r"\b(clinic_[a-z_]+)\b", dashboard))
    missing = sorted(used - exported - {f"{n}_bucket" for n in exported})
    assert not missing, missing
    json.loads(dashboard)  # valid JSON for Grafana's import


def _series(family: Any) -> set[str]:
    names = {family.name}
    if family.type == "counter":
        names.add(family.name + "_total")
    if family.type == "histogram":
        names |= {family.name + suffix for suffix in ("_bucket", "_count", "_sum")}
    return names


CADDYFILE = ROOT / "deploy" / "Caddyfile"


def caddy(
    command: str, allow: str | None, shell: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`caddy validate` or `caddy adapt` of deploy/Caddyfile, as compose and `make prod-local`
    configure it (CONSOLE_ALLOW unset when None); `shell`: through that `sh -c` script instead."""
    if shutil.which("caddy") is None:
        pytest.fail("caddy is missing: `make install-caddy` (Debian's package)")
    env = {
        **{k: v for k, v in os.environ.items() if k != "CONSOLE_ALLOW"},
        "CLINIC_SITE": "rdv.cabinet-exemple.fr",
        "CLINIC_TLS": "it@cabinet-exemple.fr",
        "RASA_UPSTREAM": "rasa:5005",
        "CONSOLE_UPSTREAM": "console:8070",
    }
    if allow is not None:
        env["CONSOLE_ALLOW"] = allow
    argv = ["caddy", command, "--config", str(CADDYFILE), "--adapter", "caddyfile"]
    if shell is not None:
        argv = ["sh", "-c", shell]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env)


def console_ranges(adapted: str) -> list[str]:
    """The ranges allowed on the console in Caddy's JSON (the `not remote_ip` matcher)."""
    found = re.findall(r'"remote_ip":\{"ranges":(\[[^\]]*\])\}', adapted)
    assert len(found) == 1, adapted
    return list(json.loads(found[0]))


def test_the_caddyfile_is_valid_for_caddy() -> None:
    """Debian's Caddy parses deploy/Caddyfile as compose and `make prod-local` configure it."""
    result = caddy("validate", "192.0.2.0/24 2001:db8::/32")
    assert result.returncode == 0 and "Valid configuration" in result.stdout + result.stderr, (
        result.stderr
    )


def test_the_console_is_private_unless_chosen_otherwise() -> None:
    """Without CONSOLE_ALLOW Caddy lets loopback and private networks only reach the console;
    `public` is no range for Caddy, so compose's caddy command turns it into every address."""
    from clinic.adapters.settings import CONSOLE_PRIVATE_RANGES

    unset = caddy("adapt", None)
    assert unset.returncode == 0, unset.stderr
    assert console_ranges(unset.stdout) == CONSOLE_PRIVATE_RANGES.split()
    assert "0.0.0.0/0" not in unset.stdout
    chosen = caddy("adapt", "203.0.113.10/32")
    assert console_ranges(chosen.stdout) == ["203.0.113.10/32"]
    assert caddy("validate", "public").returncode != 0  # Caddy alone refuses the word

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    command = compose["services"]["caddy"]["command"]
    assert command[:2] == ["sh", "-c"]
    script = command[2].replace("$$", "$").replace("/etc/caddy/Caddyfile", str(CADDYFILE))
    assert "exec caddy run " in script
    for verb in ("adapt", "validate"):
        ran = caddy(verb, "public", shell=script.replace("caddy run", f"caddy {verb}"))
        assert ran.returncode == 0, ran.stderr
        if verb == "adapt":
            assert console_ranges(ran.stdout) == ["0.0.0.0/0", "::/0"]
    listed = caddy("adapt", "192.0.2.0/24", shell=script.replace("caddy run", "caddy adapt"))
    assert console_ranges(listed.stdout) == ["192.0.2.0/24"]  # a list passes unchanged


def tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is missing: `make install-tools`")
    return found


def test_the_dockerfile_passes_hadolint_and_runs_as_non_root() -> None:
    result = subprocess.run(
        [tool("hadolint"), "Dockerfile"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.count("FROM python:3.10.13-slim-bookworm") == 2  # multi-stage, pinned
    assert "USER 10001" in dockerfile
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".env", "var", "models/*.tar.gz", "secrets"} <= set(ignored)


def test_the_delivery_pipeline_passes_actionlint() -> None:
    result = subprocess.run(
        [tool("actionlint"), ".github/workflows/ci.yml"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    assert "bash .ci/run" in json.dumps(workflow["jobs"]["test"])  # what CI runs, exactly
    assert workflow["jobs"]["deploy"]["if"].startswith("startsWith(github.ref, 'refs/tags/v')")


def test_each_environment_has_an_env_template_without_values_for_secrets() -> None:
    from clinic.adapters.settings import SECRET_FILES

    secrets = {*SECRET_FILES, "POSTGRES_PASSWORD", "DATA_ENCRYPTION_KEY"}
    for name in ("local", "staging", "production"):
        text = (ROOT / "deploy" / "env" / f"{name}.env.example").read_text()
        for line in text.splitlines():
            key, _, value = line.partition("=")
            if key in secrets:
                assert not value.split("#")[0].strip(), (name, key)
            if name != "local":  # compose reads the secrets from ./secrets/, never from .env
                assert key not in secrets, (name, key)


K8S = ROOT / "deploy" / "k8s"
HELM = ROOT / "tests" / "fixtures" / "helm"
#: Maps whose keys are ours to choose (rendered as they are into endpoints.yml / credentials.yml);
#: a chart default of {} (podSecurityContext, resources…) takes Kubernetes' own keys too.
FREE_FORM = {"additionalEndpoints", "additionalChannelCredentials"}


def _unknown_keys(ours: dict, chart: dict, path: str = "") -> list[str]:
    unknown = []
    for key, value in ours.items():
        if key not in chart:
            unknown.append(path + key)
        elif isinstance(value, dict) and chart[key] and key not in FREE_FORM:  # {}: any keys
            unknown += _unknown_keys(value, chart[key], f"{path}{key}.")
    return unknown


def test_the_rasa_chart_values_only_use_keys_the_chart_has() -> None:
    """No helm here: the values are checked against the chart's own values.yaml (vendored in
    tests/fixtures/helm), so a misspelt key cannot be silently ignored by the chart."""
    ours = yaml.safe_load((K8S / "rasa-values.yaml").read_text())
    chart = yaml.safe_load((HELM / "rasa-values.yaml").read_text())
    duckling = yaml.safe_load((HELM / "duckling-values.yaml").read_text())
    ours_duckling = ours.pop("duckling")
    assert _unknown_keys(ours, chart) == []
    assert _unknown_keys(ours_duckling, {**duckling, "install": True, "external": {}}) == []
    endpoints = ours["applicationSettings"]["endpoints"]["additionalEndpoints"]
    assert endpoints["tracker_store"]["type"] == "connectors.tracker_store.SealedSQLTrackerStore"
    assert endpoints["lock_store"]["type"] == "redis"
    assert "X-Action-Token" in endpoints["action_endpoint"]["headers"]
    channels = ours["applicationSettings"]["credentials"]["additionalChannelCredentials"]
    assert list(channels) == ["connectors.whatsapp.WhatsAppInput"]  # no REST channel
    assert "--auth-token" not in ours["args"] and "--enable-api" not in ours["args"]  # API off
    assert ours["readinessProbe"]["httpGet"] == {
        "path": "/health/ready",
        "port": 9100,
        "scheme": "HTTP",
    }


def _k8s_docs() -> list[dict[str, Any]]:
    return [
        doc
        for path in sorted(K8S.glob("*.yaml"))
        if path.name not in ("rasa-values.yaml", "kustomization.yaml")
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]


def test_the_kubernetes_manifests_run_non_root_behind_readiness_with_secrets_kept_out() -> None:
    docs = _k8s_docs()
    kinds = sorted(f"{d['kind']}/{d['metadata']['name']}" for d in docs)
    assert kinds == [
        "ConfigMap/clinic-config",
        "Deployment/clinic-actions",
        "Deployment/clinic-console",
        "Deployment/clinic-redis",
        "Deployment/clinic-worker",
        "Ingress/clinic",
        "Ingress/clinic-console",
        "NetworkPolicy/clinic-actions-from-rasa",
        "NetworkPolicy/clinic-console-from-ingress",
        "NetworkPolicy/clinic-default-deny-ingress",
        "NetworkPolicy/clinic-duckling-from-rasa-and-actions",
        "NetworkPolicy/clinic-postgres-from-the-application",
        "NetworkPolicy/clinic-rasa-from-ingress",
        "NetworkPolicy/clinic-redis-from-rasa",
        "Secret/clinic-console-secrets",
        "Secret/clinic-secrets",
        "Service/clinic-actions",
        "Service/clinic-console",
        "Service/clinic-redis",
    ]
    paths: dict[str, str] = {}
    for doc in docs:
        if doc["kind"] == "Deployment":
            pod = doc["spec"]["template"]["spec"]
            assert pod["securityContext"]["runAsNonRoot"] is True, doc["metadata"]["name"]
            [container] = pod["containers"]
            assert container["securityContext"]["allowPrivilegeEscalation"] is False
            if doc["metadata"]["name"] != "clinic-redis":
                assert container["readinessProbe"]["httpGet"] == {
                    "path": "/health/ready",
                    "port": 9100,
                }
                assert {"configMapRef": {"name": "clinic-config"}} in container["envFrom"]
        if doc["kind"] == "Secret":
            assert set(doc["stringData"].values()) == {""}  # the shape only, never a value
        if doc["kind"] == "Ingress":
            paths.update(
                (p["path"], p["backend"]["service"]["name"])
                for rule in doc["spec"]["rules"]
                for p in rule["http"]["paths"]
            )
    assert {n for p, n in paths.items() if p != "/"} == {"clinic-rasa"}
    assert all(p.startswith("/webhooks/whatsapp/") for p, n in paths.items() if n == "clinic-rasa")
    assert paths["/"] == "clinic-console"


WHITELIST = "nginx.ingress.kubernetes.io/whitelist-source-range"


def test_the_kubernetes_console_is_reached_from_console_allow_only() -> None:
    """The console's Ingress alone has the allow-list (Meta reaches the WhatsApp routes from
    anywhere), fed by kustomize from the ConfigMap's CONSOLE_ALLOW, the value the console reads
    too; the console alone mounts its session key."""
    from clinic.adapters.settings import Settings

    docs = {f"{d['kind']}/{d['metadata']['name']}": d for d in _k8s_docs()}
    allow = docs["ConfigMap/clinic-config"]["data"]["CONSOLE_ALLOW"]
    assert allow not in ("public", "0.0.0.0/0")  # never open by default
    Settings(console_allow=allow).validate_console()  # a value the console accepts
    console_ingress = docs["Ingress/clinic-console"]
    assert console_ingress["metadata"]["annotations"][WHITELIST] == allow
    assert [p["path"] for r in console_ingress["spec"]["rules"] for p in r["http"]["paths"]] == [
        "/"
    ]
    assert WHITELIST not in docs["Ingress/clinic"]["metadata"]["annotations"]

    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert "secrets.yaml" not in kustomization["resources"]  # never blanks a real Secret
    listed = {p.name for p in K8S.glob("*.yaml")} - {"rasa-values.yaml", "kustomization.yaml"}
    assert set(kustomization["resources"]) == listed - {"secrets.yaml"}
    [replacement] = kustomization["replacements"]
    assert replacement["source"] == {
        "kind": "ConfigMap", "name": "clinic-config", "fieldPath": "data.CONSOLE_ALLOW",
    }  # fmt: skip
    [target] = replacement["targets"]
    assert target["select"] == {"kind": "Ingress", "name": "clinic-console"}
    assert target["fieldPaths"] == [f"metadata.annotations.[{WHITELIST}]"]

    pod = docs["Deployment/clinic-console"]["spec"]["template"]["spec"]
    [container] = pod["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert env["CONSOLE_ALLOW"]["valueFrom"] == {
        "configMapKeyRef": {"name": "clinic-config", "key": "CONSOLE_ALLOW"}
    }
    key_file = env["CONSOLE_SESSION_KEY_FILE"]["value"]
    [mount] = [m for m in container["volumeMounts"] if m["mountPath"].startswith("/run/secrets")]
    assert key_file.startswith(mount["mountPath"] + "/") and mount["readOnly"] is True
    [volume] = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    [own] = [
        source["secret"]
        for source in volume["projected"]["sources"]
        if source["secret"]["name"] == "clinic-console-secrets"
    ]
    assert own["items"] == [{"key": "console_session_key", "path": key_file.rsplit("/", 1)[1]}]
    assert key_file.rsplit("/", 1)[1] in docs["Secret/clinic-console-secrets"]["stringData"]
    for name, doc in docs.items():
        if doc["kind"] == "Deployment" and name != "Deployment/clinic-console":
            assert "clinic-console-secrets" not in json.dumps(doc), name
            assert "CONSOLE_SESSION_KEY" not in json.dumps(doc), name


def test_kustomize_renders_the_allow_list_from_the_config_map() -> None:
    """`kubectl kustomize`, the real renderer, when kubectl is on this machine (`make` does not
    install it: the structure above is checked without it)."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed")
    rendered = subprocess.run(
        [kubectl, "kustomize", str(K8S)], capture_output=True, text=True, timeout=120
    )
    assert rendered.returncode == 0, rendered.stderr
    docs = {
        f"{d['kind']}/{d['metadata']['name']}": d for d in yaml.safe_load_all(rendered.stdout) if d
    }
    assert not [name for name in docs if name.startswith("Secret/")]
    assert "NetworkPolicy/clinic-default-deny-ingress" in docs
    allow = docs["ConfigMap/clinic-config"]["data"]["CONSOLE_ALLOW"]
    assert docs["Ingress/clinic-console"]["metadata"]["annotations"][WHITELIST] == allow
