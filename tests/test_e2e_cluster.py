"""`make cluster`: two Rasa replicas and two action servers behind a real HAProxy, Rasa's own
RedisLockStore, the PostgreSQL tracker store, two workers; the WhatsApp simulator in front.

The same WhatsApp conversations as on the single stack, through the load balancer, and what only
a cluster can show: a replica killed with -9 in the middle of a turn, whose message another
replica takes up once its lease ends and answers once.
"""

from __future__ import annotations

import os
import signal
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from clinic.adapters.settings import Settings
from clinic.app.wiring import build_services
from devtools.model import model_path
from devtools.stack import free_port
from tests.conftest import POSTGRES_ADMIN_URL, clinic_appointments
from tests.http import request
from tests.smtp import smtp_server
from tests.stack import pid_listening_on, printed_ports, simulator_token, start_stack
from tests.test_e2e_stack import (
    Stack,
    body_texts,
    bot_texts,
    tap,
    timed_replies,
    wait_until,
    weekday_ahead,
    whatsapp,
)

ROOT = Path(__file__).parents[1]
pytestmark = [pytest.mark.stack, pytest.mark.cluster]
LEASE = 10  # seconds (WHATSAPP_INBOUND_LEASE): how soon another replica takes a message up


@pytest.fixture(scope="module")
def cluster() -> Iterator[Stack]:
    if not model_path(ROOT).exists():
        pytest.fail("no trained model for the current data: run `make model` first")
    database = f"clinic_cluster_{uuid.uuid4().hex[:10]}"  # created by `cluster` itself
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"
    port, simulator_port, duckling_port = free_port(), free_port(), free_port()
    with smtp_server() as (smtp_url, mailbox):
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "DUCKLING_URL": f"http://127.0.0.1:{duckling_port}",
            "RASA_AUTH_TOKEN": "cluster-token",
            "SMTP_URL": smtp_url,
            "WHATSAPP_INBOUND_LEASE": str(LEASE),
        }
        env.pop("REDIS_HOST", None)  # the cluster's own Redis
        try:
            process, printed = start_stack(
                env, "--port", str(port), "--simulator-port", str(simulator_port), command="cluster"
            )
        except RuntimeError as error:
            pytest.fail(str(error))
        simulator = f"http://127.0.0.1:{simulator_port}"
        simulator_token(simulator)
        stack = Stack(
            rasa=f"http://127.0.0.1:{port}",  # HAProxy
            actions="",
            duckling=f"http://127.0.0.1:{duckling_port}",
            simulator=simulator,
            token="cluster-token",
            database=Path("/nonexistent"),  # PostgreSQL: see env
            process=process,
            log_offsets={},
            env=env,
            mailbox=mailbox,
        )
        stack.printed = printed  # type: ignore[attr-defined]
        yield stack
        process.send_signal(signal.SIGINT)
        process.wait(timeout=90)
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    admin.dispose()


def haproxy_servers(stack: Stack) -> dict[str, str]:
    """HAProxy's own view, from its stats socket: {"rasa_replicas/rasa1": "UP", …}."""
    sock_path = ROOT / "var" / f"haproxy-{stack.rasa.rsplit(':', 1)[1]}.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(str(sock_path))
        sock.sendall(b"show stat\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    rows = [line.split(",") for line in data.decode().splitlines() if line and line[0] != "#"]
    return {f"{r[0]}/{r[1]}": r[17] for r in rows if r[1] not in ("FRONTEND", "BACKEND")}


def log_size(name: str) -> int:
    path = ROOT / "var" / "log" / f"{name}.log"
    return path.stat().st_size if path.exists() else 0


def log_since(name: str, offset: int) -> str:
    with (ROOT / "var" / "log" / f"{name}.log").open("rb") as handle:
        handle.seek(offset)
        return handle.read().decode("utf-8", "replace")


def test_haproxy_sees_every_replica_up(cluster: Stack) -> None:
    wait_until(lambda: set(haproxy_servers(cluster).values()) == {"UP"}, timeout=60)
    assert haproxy_servers(cluster) == {
        "rasa_replicas/rasa1": "UP",
        "rasa_replicas/rasa2": "UP",
        "action_servers/actions1": "UP",
        "action_servers/actions2": "UP",
    }
    status, _ = request(f"{cluster.rasa}/webhooks/whatsapp/")  # through the load balancer
    assert status == 200


def test_a_booking_over_whatsapp_through_the_load_balancer(cluster: Stack) -> None:
    wa_id = "33612300001"

    def text(message: str) -> list[dict]:
        return whatsapp(cluster, {"type": "text", "text": message}, wa_id=wa_id)

    day = weekday_ahead()  # « jeudi » said on a Thursday afternoon is today, maybe too soon
    first = text(f"Bonjour, je voudrais un rdv {day} aprem pour un renouvellement d'ordonnance")
    assert "nom" in body_texts(first), first
    offer = text("je m'appelle Camille Martin")
    recap = tap(cluster, offer, "*", wa_id)
    done = tap(cluster, recap, "Je confirme", wa_id)
    assert "✅" in body_texts(done), done
    booked = [
        a
        for a in clinic_appointments(cluster.env["DATABASE_URL"])
        if a["patient_name"] == "Camille Martin"
    ]
    assert len(booked) == 1 and booked[0]["status"] in ("booked", "confirmed"), booked


def test_one_patients_quick_messages_keep_their_order(cluster: Stack) -> None:
    """Five messages sent as fast as a phone sends them: Rasa's tracker (PostgreSQL, read back
    through the load balancer) has them in the order they were written."""
    wa_id = "33612300002"
    token = simulator_token(cluster.simulator)
    words = ["bonjour", "un", "deux", "trois", "quatre", "cinq"]
    for word in words:
        status, sent = request(
            f"{cluster.simulator}/_sim/send",
            {"type": "text", "text": word, "wa_id": wa_id},
            headers={"X-Sim-Token": token},
        )
        assert status == 200 and sent["status"] == 200, sent  # type: ignore[index]
    services = build_services(Settings.from_env(cluster.env))
    sender = services.keyring.patient_id(wa_id)
    services.database.dispose()

    def user_texts() -> list[str]:
        _, tracker = request(f"{cluster.rasa}/conversations/{sender}/tracker?token={cluster.token}")
        events = tracker.get("events", []) if isinstance(tracker, dict) else []
        return [e.get("text") for e in events if e.get("event") == "user"]

    wait_until(lambda: len(user_texts()) >= len(words), timeout=90)
    assert user_texts() == words


def test_a_replica_killed_mid_turn_the_message_is_answered_once(cluster: Stack) -> None:
    """The action servers hang (SIGSTOP): the patient gets the holding answer; the replica
    running the turn is killed with -9; another replica takes the message up after its lease
    and the patient gets the real answer once. The supervisor restarts the dead replica."""
    wa_id = "33612300003"
    whatsapp(cluster, {"type": "text", "text": "bonjour"}, wa_id=wa_id)  # the notice, seen
    greetings = sum(t.startswith("Bonjour") for t in bot_texts(cluster, wa_id))
    ports = printed_ports(cluster.printed)  # type: ignore[attr-defined]
    actions = [
        pid_listening_on(ports[n], "connectors.action_server") for n in ("actions-1", "actions-2")
    ]
    offsets = {name: log_size(name) for name in ("rasa-1", "rasa-2")}
    for pid in actions:
        os.kill(pid, signal.SIGSTOP)
    try:
        held = timed_replies(cluster, wa_id, "bonjour", until=6)
        assert held and held[0][0] < 5 and "souci technique" in held[0][1], held
        [serving] = [n for n in offsets if "over its budget" in log_since(n, offsets[n])]
        os.kill(pid_listening_on(ports[serving], "rasa"), signal.SIGKILL)
    finally:
        for pid in actions:
            os.kill(pid, signal.SIGCONT)
    # the other replica: after the lease, Rasa's lock (the dead turn's ticket expires) and the turn
    wait_until(
        lambda: sum(t.startswith("Bonjour") for t in bot_texts(cluster, wa_id)) > greetings,
        timeout=150,
    )
    time.sleep(LEASE + 5)  # long enough for a second, wrong answer to show
    texts = bot_texts(cluster, wa_id)
    assert sum(t.startswith("Bonjour") for t in texts) == greetings + 1, texts
    other = "rasa-2" if serving == "rasa-1" else "rasa-1"
    assert "taken up again" in log_since(other, offsets[other])
    # the supervisor started the killed replica again, and HAProxy sends to it once healthy
    wait_until(lambda: set(haproxy_servers(cluster).values()) == {"UP"}, timeout=240)
