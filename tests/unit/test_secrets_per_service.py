"""Each process gets only the secrets it uses, as files, and Rasa's HTTP API is off in
production: docker-compose.yml, the Kubernetes manifests and the Rasa chart's values against
the table of docs/security.md (« Secrets per service »)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from clinic.adapters.settings import SECRET_FILES

ROOT = Path(__file__).parents[2]
K8S = ROOT / "deploy" / "k8s"
#: Every secret's variable, whether read through SECRET_FILES or by its own reader.
SECRET_VARIABLES = {*SECRET_FILES, "DATA_ENCRYPTION_KEY", "POSTGRES_PASSWORD"}
#: Kubernetes workloads by the table's service names (Rasa comes from the Helm values).
K8S_SERVICES = {
    "clinic-actions": "actions",
    "clinic-worker": "worker",
    "clinic-console": "console",
    "clinic-redis": "redis",
}


def documented() -> dict[str, set[str]]:
    """The table « Secrets per service » of docs/security.md: service -> secret names."""
    text = (ROOT / "docs" / "security.md").read_text()
    section = text.split("## Secrets per service", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    assert rows, "docs/security.md has no « Secrets per service » table"
    table: dict[str, set[str]] = {}
    for row in rows:
        services, secrets = row.split("|")[1:3]
        for service in re.findall(r"`([a-z_-]+)`", services):
            assert service not in table, f"{service} is in the table twice"
            table[service] = set(re.findall(r"`([a-z_]+)`", secrets))
    return table


def secret_name(variable: str) -> str:
    """`DATABASE_URL_FILE` -> `database_url`: a secret's file is named after its variable."""
    return variable.removesuffix("_FILE").lower()


# --- compose ------------------------------------------------------------------------------------


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def compose_secrets(name: str, service: dict[str, Any]) -> set[str]:
    """What a compose service receives, checked to be files only: each secret it mounts has
    its `NAME_FILE` pointing at it, and no secret is an environment value."""
    mounted = set(service.get("secrets") or [])
    environment = service.get("environment") or {}
    assert isinstance(environment, dict), name  # a list would hide `NAME=value` strings
    assert "env_file" not in service, name
    pointers = {}
    for variable, value in environment.items():
        assert variable not in SECRET_VARIABLES, f"{name}: {variable} as a value"
        for secret in SECRET_VARIABLES:  # nor a value built from one (« …${POSTGRES_PASSWORD}@… »)
            assert f"${{{secret}" not in str(value), f"{name}: {variable} holds {secret}"
        if variable.endswith("_FILE") and variable.removesuffix("_FILE") in SECRET_VARIABLES:
            pointers[secret_name(variable)] = value
    assert pointers == {secret: f"/run/secrets/{secret}" for secret in mounted}, name
    return mounted


def test_compose_gives_each_service_the_secrets_of_the_table_as_files() -> None:
    table = documented()
    services = compose()["services"]
    received = {name: compose_secrets(name, service) for name, service in services.items()}
    assert set(services) <= set(table), sorted(set(services) - set(table))
    for name, secrets in received.items():
        assert secrets == table[name], name


def test_compose_secrets_are_files_of_the_secrets_folder_and_used() -> None:
    file = compose()
    declared = file["secrets"]
    for name, secret in declared.items():
        assert secret == {"file": f"./secrets/{name}"}, name
    used = {s for service in file["services"].values() for s in service.get("secrets") or []}
    assert used == set(declared)
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert "secrets" in ignored and "secrets/" in (ROOT / ".gitignore").read_text().split()


def test_the_console_sends_nothing_itself() -> None:
    """The console's replies, confirmations and notices are queued (clinic.services.handoff,
    frontdesk) and sent by the worker: it holds no WhatsApp or SMTP secret."""
    table = documented()
    for service in ("console", "actions"):
        assert not {s for s in table[service] if s.startswith(("whatsapp_", "smtp"))}, service
    assert "whatsapp_app_secret" not in table["worker"]  # it sends, never receives webhooks
    assert "whatsapp_verify_token" not in table["worker"]


# --- Kubernetes ---------------------------------------------------------------------------------


def k8s_documents() -> list[dict[str, Any]]:
    return [
        doc
        for path in sorted(K8S.glob("*.yaml"))
        if path.name not in ("rasa-values.yaml", "kustomization.yaml")
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]


def rasa_values() -> dict[str, Any]:
    return yaml.safe_load((K8S / "rasa-values.yaml").read_text())


def secret_sources(volume: dict[str, Any]) -> list[dict[str, Any]]:
    """The Secret projections of a volume: `secret:` itself, or the secrets of `projected:`."""
    if "secret" in volume:
        return [{"name": volume["secret"]["secretName"], "items": volume["secret"]["items"]}]
    sources = (volume.get("projected") or {}).get("sources") or []
    return [source["secret"] for source in sources if "secret" in source]


def pod_secrets(
    name: str,
    env: list[dict[str, Any]],
    env_from: list[dict[str, Any]],
    volumes: list[dict[str, Any]],
    mounts: list[dict[str, Any]],
    shapes: dict[str, set[str]],
) -> set[str]:
    """What one workload receives, checked to be files of one read-only Secret volume."""
    assert not [e for e in env_from if "secretRef" in e], f"{name}: envFrom of a Secret"
    for variable in env:
        assert "secretKeyRef" not in json.dumps(variable), f"{name}: {variable['name']}"
        assert variable["name"] not in SECRET_VARIABLES, f"{name}: {variable['name']} as a value"
    with_secrets = [v for v in volumes if secret_sources(v)]
    if not with_secrets:
        assert not [e for e in env if e["name"].endswith("_FILE")], name
        return set()
    [volume] = with_secrets  # one Secret volume per workload
    [mount] = [m for m in mounts if m["name"] == volume["name"]]
    assert mount["readOnly"] is True and mount["mountPath"].startswith("/run/secrets/"), name
    keys = set()
    for source in secret_sources(volume):
        for item in source["items"]:  # only the keys listed, never the whole Secret
            assert item["key"] == item["path"], (name, item)
            assert item["key"] in shapes[source["name"]], (name, source["name"], item["key"])
            keys.add(item["key"])
    pointers = {
        secret_name(e["name"]): e["value"]
        for e in env
        if e["name"].endswith("_FILE") and e["name"].removesuffix("_FILE") in SECRET_VARIABLES
    }
    assert pointers == {key: f"{mount['mountPath']}/{key}" for key in keys}, name
    return keys


def k8s_received() -> dict[str, set[str]]:
    docs = k8s_documents()
    shapes = {d["metadata"]["name"]: set(d["stringData"]) for d in docs if d["kind"] == "Secret"}
    received = {}
    for doc in docs:
        if doc["kind"] != "Deployment":
            continue
        pod = doc["spec"]["template"]["spec"]
        [container] = pod["containers"]
        name = doc["metadata"]["name"]
        received[K8S_SERVICES[name]] = pod_secrets(
            name,
            container.get("env") or [],
            container.get("envFrom") or [],
            pod.get("volumes") or [],
            container.get("volumeMounts") or [],
            shapes,
        )
    values = rasa_values()
    received["rasa"] = pod_secrets(
        "rasa", values["extraEnv"], [], values["volumes"], values["volumeMounts"], shapes
    )
    duckling = values["duckling"]
    received["duckling"] = pod_secrets(
        "duckling",
        duckling.get("extraEnv") or [],
        [],
        duckling.get("volumes") or [],
        duckling.get("volumeMounts") or [],
        shapes,
    )
    return received


def test_kubernetes_gives_each_workload_the_secrets_of_the_table_as_files() -> None:
    table = documented()
    received = k8s_received()
    assert set(received) == {"rasa", "actions", "worker", "console", "redis", "duckling"}
    for name, secrets in received.items():
        assert secrets == table[name], name


def test_compose_and_kubernetes_name_the_secrets_alike() -> None:
    """One `secrets/` folder serves both: compose's secret names are the Secrets' keys."""
    declared = set(compose()["secrets"]) - {"postgres_password"}  # Kubernetes: managed
    keys = {key for doc in k8s_documents() if doc["kind"] == "Secret" for key in doc["stringData"]}
    assert keys == declared


# --- Rasa's HTTP API ----------------------------------------------------------------------------


def test_rasa_s_http_api_is_off_in_production() -> None:
    """`--enable-api` belongs to development (devtools/stack); the WhatsApp webhook is an input
    channel and needs no API, and no staff tool calls it."""
    rasa = compose()["services"]["rasa"]
    command = rasa["command"]
    assert command[:5] == ["python", "-m", "connectors.launch", "rasa", "run"]
    assert "--enable-api" not in json.dumps(command) and "--auth-token" not in json.dumps(command)
    assert "--credentials" in command and "credentials.yml" in command
    production = [  # parsed: what a comment says does not count
        compose(),
        *(doc for path in K8S.glob("*.yaml") for doc in yaml.safe_load_all(path.read_text())),
    ]
    for document in production:
        text = json.dumps(document)
        assert "--enable-api" not in text
        assert "RASA_AUTH_TOKEN" not in text and "rasa_auth_token" not in text
    values = rasa_values()
    assert values["args"][0] == "run" and "--enable-api" not in values["args"]
    assert values["applicationSettings"]["enableAPI"] is False


@pytest.mark.parametrize("folder", ["clinic", "connectors", "actions", "scripts", "deploy"])
def test_no_production_process_calls_rasa_s_api(folder: str) -> None:
    """Nothing shipped reads Rasa's tracker, conversations or model endpoints over HTTP: the
    console and the CLI read the database. (bench/ and devtools/ do, in development.)"""
    pattern = re.compile(r"RASA_URL|/conversations/[^\"' ]*/tracker|/model/parse|:5005/status")
    for path in (ROOT / folder).rglob("*"):
        if path.is_file() and path.suffix in (".py", ".sh", ".yml", ".yaml", ".cfg", ""):
            text = path.read_text(errors="replace")
            assert not pattern.search(text), path


def test_development_keeps_the_api_behind_its_token() -> None:
    """`make run` still starts Rasa with `--enable-api`; the launcher adds the token in-process."""
    from devtools.stack import services

    source = Path(services.__file__).read_text()
    assert '"--enable-api"' in source
    launch = (ROOT / "connectors" / "launch.py").read_text()
    assert '"--enable-api" in args' in launch and "auth_token_argument" in launch
