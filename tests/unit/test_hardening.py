"""Locked-down containers: the image's code belongs to root, every Kubernetes pod runs non-root
on a read-only root filesystem with what it writes on emptyDir volumes, and the network
policies let through only the connections the processes make (docs/security.md, « Containers »).
No cluster here: the files are read as the API server would receive them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).parents[2]
K8S = ROOT / "deploy" / "k8s"
#: Where our image's processes write: temporary files (Rasa unpacks its model there) and var/.
WRITABLE = {"/tmp", "/app/var"}
INGRESS_CONTROLLER = "ingress-nginx"


def documents() -> list[dict[str, Any]]:
    return [
        doc
        for path in sorted(K8S.glob("*.yaml"))
        if path.name not in ("rasa-values.yaml", "kustomization.yaml")
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]


def rasa_values() -> dict[str, Any]:
    return yaml.safe_load((K8S / "rasa-values.yaml").read_text())


def test_the_image_s_code_belongs_to_root_and_only_var_and_models_are_the_user_s() -> None:
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    instructions = [line for line in lines if line and not line.startswith("#")]
    assert not [line for line in instructions if "--chown" in line]
    assert "COPY . ." in instructions
    chowns = [line for line in instructions if "chown" in line]
    assert chowns == ["RUN mkdir -p var models && chown 10001:10001 var models \\"]
    user = instructions.index("USER 10001")
    assert user > instructions.index("COPY . .")
    built = "\n".join(instructions[:user])
    assert "python -m clinic.domain.safety" in built  # the red-flag cache, read-only at run time
    assert "python -m compileall" in built  # the user cannot write __pycache__


def pods() -> dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, str]]]:
    """Every pod we define: name -> (pod security context, its container, its environment as
    the process sees it: the ConfigMap under the container's own variables)."""
    docs = documents()
    config = next(d for d in docs if d["kind"] == "ConfigMap")["data"]
    found = {}
    for doc in docs:
        if doc["kind"] != "Deployment":
            continue
        pod = doc["spec"]["template"]["spec"]
        [container] = pod["containers"]
        env = {}
        if {"configMapRef": {"name": "clinic-config"}} in (container.get("envFrom") or []):
            env.update(config)
        env.update({e["name"]: e.get("value", "") for e in container.get("env") or []})
        found[doc["metadata"]["name"]] = ({**pod, "containers": [container]}, container, env)
    values = rasa_values()
    rasa_env = {"MPLCONFIGDIR": "/tmp/.matplotlib"}  # the chart's own (_containers-env.yaml)
    rasa_env.update({e["name"]: e.get("value", "") for e in values["extraEnv"]})
    rasa_container = {
        "securityContext": values["securityContext"],
        "volumeMounts": values["volumeMounts"],
    }
    found["clinic-rasa"] = (
        {"securityContext": values["podSecurityContext"], "volumes": values["volumes"]},
        rasa_container,
        rasa_env,
    )
    duckling = values["duckling"]
    found["clinic-duckling"] = (
        {"securityContext": duckling["podSecurityContext"], "volumes": []},
        {"securityContext": duckling["securityContext"], "volumeMounts": []},
        {},
    )
    return found


def test_every_pod_runs_non_root_read_only_without_privileges() -> None:
    found = pods()
    assert set(found) == {
        "clinic-actions",
        "clinic-worker",
        "clinic-console",
        "clinic-redis",
        "clinic-rasa",
        "clinic-duckling",
    }
    for name, (pod, container, _) in found.items():
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] != 0, name
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        context = container["securityContext"]
        assert context["runAsNonRoot"] is True, name
        assert context["readOnlyRootFilesystem"] is True, name
        assert context["allowPrivilegeEscalation"] is False, name
        assert context["capabilities"] == {"drop": ["ALL"]}, name
        if "automountServiceAccountToken" in pod or name not in ("clinic-rasa", "clinic-duckling"):
            assert pod["automountServiceAccountToken"] is False, name  # the chart has no switch


def test_what_a_process_writes_is_on_an_empty_dir() -> None:
    for name, (pod, container, env) in pods().items():
        empty = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
        writable = {m["mountPath"] for m in container["volumeMounts"] if m["name"] in empty}
        if name == "clinic-duckling":
            continue  # it writes nothing (logs to stdout, the chart's arguments)
        if name == "clinic-redis":
            assert writable == {"/data"}  # its working directory; --save "" keeps it empty
            continue
        assert writable == WRITABLE, name
        for variable in ("HOME", "XDG_CACHE_HOME", "MPLCONFIGDIR"):
            path = env.get(variable, "")
            assert any(path == w or path.startswith(w + "/") for w in writable), (name, variable)
        for mount in container["volumeMounts"]:
            if mount["mountPath"] not in writable:
                assert mount.get("readOnly") is True, (name, mount)


def network_policies() -> list[dict[str, Any]]:
    return [d for d in documents() if d["kind"] == "NetworkPolicy"]


def pod_labels() -> dict[str, dict[str, str]]:
    """The labels of every pod: the Deployments' templates, and the chart pods' podLabels."""
    labels = {
        d["metadata"]["name"]: d["spec"]["template"]["metadata"]["labels"]
        for d in documents()
        if d["kind"] == "Deployment"
    }
    values = rasa_values()
    labels["clinic-rasa"] = values["podLabels"]
    labels["clinic-duckling"] = values["duckling"]["podLabels"]
    labels["clinic-postgres"] = {"app": "clinic-postgres"}  # in-cluster PostgreSQL, if any
    return labels


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """A label selector's verdict (matchLabels, and matchExpressions' In)."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        assert expression["operator"] == "In", expression
        if labels.get(expression["key"]) not in expression["values"]:
            return False
    return True


def allowed() -> dict[str, set[tuple[str, int]]]:
    """pod -> {(who may connect, port)}; who is a pod of ours or the ingress controller."""
    labels = pod_labels()
    result: dict[str, set[tuple[str, int]]] = {pod: set() for pod in labels}
    for policy in network_policies():
        spec = policy["spec"]
        assert spec["policyTypes"] == ["Ingress"], policy["metadata"]["name"]
        targets = [
            pod for pod, pod_label in labels.items() if selects(spec["podSelector"], pod_label)
        ]
        assert targets, f"{policy['metadata']['name']} selects no pod"
        for rule in spec.get("ingress") or []:
            sources = set()
            for peer in rule["from"]:
                assert "ipBlock" not in peer, policy["metadata"]["name"]
                if "namespaceSelector" in peer:  # another namespace: the ingress controller only
                    namespace = peer["namespaceSelector"]["matchLabels"]
                    assert namespace == {"kubernetes.io/metadata.name": INGRESS_CONTROLLER}
                    assert peer["podSelector"]["matchLabels"] == {
                        "app.kubernetes.io/name": INGRESS_CONTROLLER
                    }
                    sources.add(INGRESS_CONTROLLER)
                else:
                    chosen = [p for p, pl in labels.items() if selects(peer["podSelector"], pl)]
                    assert chosen, policy["metadata"]["name"]
                    sources.update(chosen)
            for target in targets:
                result[target] |= {(s, port["port"]) for s in sources for port in rule["ports"]}
    return result


def test_ingress_is_denied_by_default() -> None:
    [deny] = [p for p in network_policies() if p["spec"]["podSelector"] == {}]
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}  # no rule: nothing in


def test_only_the_connections_the_processes_make_are_allowed() -> None:
    application = {"clinic-rasa", "clinic-actions", "clinic-worker", "clinic-console"}
    assert allowed() == {
        "clinic-rasa": {(INGRESS_CONTROLLER, 5005)},  # Meta's webhook, the calendar links
        "clinic-console": {(INGRESS_CONTROLLER, 8070)},
        "clinic-actions": {("clinic-rasa", 5055)},
        "clinic-duckling": {("clinic-rasa", 8000), ("clinic-actions", 8000)},
        "clinic-redis": {("clinic-rasa", 6379)},  # Rasa's lock store, nobody else's
        "clinic-postgres": {(pod, 5432) for pod in application},
        "clinic-worker": set(),  # nobody connects to it (no metrics scraping here)
    }


def test_the_policies_ports_are_the_ports_the_pods_listen_on() -> None:
    ports = {
        d["metadata"]["name"]: {
            p["containerPort"] for p in d["spec"]["template"]["spec"]["containers"][0]["ports"]
        }
        for d in documents()
        if d["kind"] == "Deployment"
    }
    values = rasa_values()
    ports["clinic-rasa"] = {values["applicationSettings"]["port"]}
    ports["clinic-duckling"] = {8000}  # the duckling chart's applicationSettings.port
    ports["clinic-postgres"] = {5432}
    for pod, rules in allowed().items():
        assert {port for _, port in rules} <= ports[pod], pod
    ingress = {
        path["backend"]["service"]["port"]["number"]
        for doc in documents()
        if doc["kind"] == "Ingress"
        for rule in doc["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert ingress == {
        port for rules in allowed().values() for s, port in rules if s == INGRESS_CONTROLLER
    }


def test_the_network_policies_are_applied_with_the_rest() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert "network-policies.yaml" in kustomization["resources"]
