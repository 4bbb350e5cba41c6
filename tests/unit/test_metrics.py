"""Metrics, health and traces: the ops server over HTTP, the database gauges on a real database,
trace ids in log lines, and `clinic.adapters.storage.trace` reading them back."""

from __future__ import annotations

import io
import json
import logging
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY

from clinic.adapters import metrics
from clinic.adapters.logs import JsonFormatter, TextFormatter, install_masking, traced
from clinic.adapters.storage.trace import log_lines, parse_line, stored
from clinic.adapters.whatsapp.identity import Keyring
from clinic.app.wiring import Services
from tests.conftest import NOW


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_the_ops_server_serves_metrics_liveness_and_readiness() -> None:
    state = {"database": True}
    server = metrics.OpsServer(0, {"database": lambda: state["database"]}).start()
    base = f"http://127.0.0.1:{server.port}"
    try:
        metrics.HANDOFFS.labels("emergency").inc(0)  # the series exists
        status, body = get(base + "/metrics")
        assert status == 200 and "clinic_handoffs_total" in body
        assert get(base + "/health/live")[0] == 200
        assert json.loads(get(base + "/health/ready")[1]) == {
            "ready": True,
            "checks": {"database": True},
        }
        state["database"] = False
        status, body = get(base + "/health/ready")
        assert status == 503 and json.loads(body)["checks"] == {"database": False}
        assert get(base + "/anything")[0] == 404
    finally:
        server.stop()


def test_a_check_that_raises_counts_as_not_ready() -> None:
    def broken() -> bool:
        raise OSError("refused")

    assert metrics.readiness({"duckling": broken}) == {"duckling": False}


def test_a_cached_check_is_asked_once_per_period() -> None:
    calls = []
    check = metrics.cached(lambda: calls.append(1) or True, 60)
    assert check() and check() and len(calls) == 1


def test_database_gauges_read_the_outbox_emergencies_and_reminders(services: Services) -> None:
    gauges = metrics.DatabaseGauges(services.database, lambda: NOW + timedelta(minutes=10))
    services.outbox.queue("wa-a", "staff", {"type": "text"}, NOW)
    services.handoff.pause("wa-b", "emergency")
    services.handoff.pause("wa-c", "handoff")
    values = {family.name: family.samples[0].value for family in gauges.collect()}
    assert values["clinic_whatsapp_outbox_pending"] == 1
    assert values["clinic_whatsapp_outbox_oldest_pending_seconds"] == 600
    assert values["clinic_emergencies_unopened"] == 1
    assert values["clinic_emergency_unopened_oldest_seconds"] == 600
    services.handoff.open("wa-b", "accueil")
    values = {family.name: family.samples[0].value for family in gauges.collect()}
    assert values["clinic_emergencies_unopened"] == 0
    assert values["clinic_reminders_overdue"] == 0


def test_changes_are_counted_where_they_happen(services: Services) -> None:
    before = sample("clinic_handoffs_total", reason="fallback")
    services.handoff.pause("wa-d", "fallback")
    services.handoff.pause("wa-d", "fallback")  # already paused: not a second handoff
    assert sample("clinic_handoffs_total", reason="fallback") == before + 1


def test_the_trace_id_is_keyed_and_never_the_message_id() -> None:
    wamid = "wamid.HBgLMzM2MTIzNDU2NzgVAgASGBQzQUY5RjA3QzY0QzJEMjBBMDdFNQA="
    one, other = Keyring(b"k" * 32), Keyring(b"x" * 32)
    assert len(one.trace_id(wamid)) == 16 and one.trace_id(wamid) == one.trace_id(wamid)
    assert one.trace_id(wamid) != other.trace_id(wamid)
    assert "MzM2" not in one.trace_id(wamid)  # the base64 of the number never shows


def test_the_message_key_is_a_keyed_digest_apart_from_the_trace_id() -> None:
    """What the tables keep of a Meta id: stable (lookups digest the id they are given),
    keyed, 128 bits, and not the trace id logs carry (a log line leads to no row without
    the key, nor a row to a log line)."""
    wamid = "wamid.HBgLMzM2MTIzNDU2NzgVAgASGBQzQUY5RjA3QzY0QzJEMjBBMDdFNQA="
    one, other = Keyring(b"k" * 32), Keyring(b"x" * 32)
    key = one.message_key(wamid)
    assert key == one.message_key(wamid) and key != other.message_key(wamid)
    assert key.startswith("m-") and len(key) == 34 and int(key[2:], 16) >= 0
    assert one.trace_id(wamid) not in key and "wamid" not in key and "MzM2" not in key
    assert one.message_key(wamid + "A") != key


@pytest.mark.parametrize("formatter", [TextFormatter(), JsonFormatter()])
def test_log_lines_carry_the_bound_trace_and_trace_reads_them_back(
    formatter: logging.Formatter,
) -> None:
    install_masking()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    log = logging.getLogger("tests.trace")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        with traced("0123456789abcdef"):
            log.info("nlu", extra={"intent": "book"})
        log.info("outside any turn")
    finally:
        log.removeHandler(handler)
    written = stream.getvalue().splitlines()
    assert "0123456789abcdef" in written[0] and "0123456789abcdef" not in written[1]
    [line] = log_lines([("rasa", written)], "0123456789abcdef")
    assert (line.process, line.message, line.logger) == ("rasa", "nlu", "tests.trace")
    assert parse_line(written[0], "rasa", "fedcba9876543210") is None


def test_stored_finds_the_inbound_row_and_the_sends_of_its_turn(services: Services) -> None:
    services.inbound.claim_inbound("wamid.A", "wa-e", "text", NOW, NOW, None, timedelta(minutes=2))
    with traced("aaaabbbbccccdddd"):
        services.outbox.queue("wa-e", "text", {"type": "text"}, NOW)
    services.outbox.queue("wa-e", "reminder", {"type": "template"}, NOW)  # not this turn's
    services.inbound.set_outcome("wamid.A", "turn")
    found = stored(services.database, services.keyring.message_key("wamid.A"), "aaaabbbbccccdddd")
    assert found["inbound"]["outcome"] == "turn" and found["inbound"]["handled_at"]
    assert [row["kind"] for row in found["outbox"]] == ["text"]


async def test_readiness_asks_the_graph_api_whether_the_token_opens_the_number() -> None:
    """`GET /{phone_number_id}` as Meta answers it (the simulator's fake Graph API)."""
    import asyncio

    from aiohttp import web

    from clinic.adapters.whatsapp.graph import GraphClient
    from devtools.simulator.server import DEFAULT_PHONE_NUMBER_ID, build
    from devtools.stack import free_port

    _, app = build("http://127.0.0.1:1/unused", "secret", "good-token", statuses=False)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    api = f"http://127.0.0.1:{port}/v21.0"
    try:
        good = GraphClient(api, DEFAULT_PHONE_NUMBER_ID, "good-token")
        expired = GraphClient(api, DEFAULT_PHONE_NUMBER_ID, "expired-token")
        elsewhere = GraphClient(api, "999", "good-token")
        assert await asyncio.to_thread(good.credentials_valid)
        assert not await asyncio.to_thread(expired.credentials_valid)
        assert not await asyncio.to_thread(elsewhere.credentials_valid)
        nowhere = GraphClient("http://127.0.0.1:1/v21.0", DEFAULT_PHONE_NUMBER_ID, "good-token")
        assert not await asyncio.to_thread(nowhere.credentials_valid)
    finally:
        await runner.cleanup()


def test_make_run_gives_each_process_a_metrics_port_in_a_fixed_order() -> None:
    from devtools.stack import Service, assign_metrics_ports

    names = ("duckling", "simulator", "actions", "rasa", "worker", "console")
    services = [Service(name, [], None, "") for name in names]
    line = assign_metrics_ports(services, 9100)
    ports = {s.name: s.metrics_port for s in services}
    assert ports == {
        "duckling": None,
        "simulator": None,
        "rasa": 9101,
        "actions": 9102,
        "worker": 9103,
        "console": 9104,
    }
    assert "rasa 9101, actions 9102, worker 9103, console 9104" in line
    replicas = [Service(n, [], None, "") for n in ("rasa-2", "worker-1", "rasa-1", "actions-1")]
    assign_metrics_ports(replicas, 0)  # free ports, all different
    assert len({s.metrics_port for s in replicas}) == 4
