"""The embedded Duckling server, over real HTTP on loopback, and through Rasa's own extractor."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

PARIS = ZoneInfo("Europe/Paris")
# Saturday 28 November 2026, 17:15 in Paris.
REF = datetime(2026, 11, 28, 17, 15, tzinfo=PARIS)
REF_MS = int(REF.timestamp() * 1000)


def post(url: str, fields: dict[str, str], raw: bytes | None = None) -> tuple[int, object]:
    body = raw if raw is not None else urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(
        f"{url}/parse",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def times(entities: list[dict]) -> list[str]:
    return [e["value"]["value"] for e in entities if e["dim"] == "time"]


def test_demain_a_14h_is_tomorrow_2pm_in_paris(duckling_url: str) -> None:
    status, entities = post(duckling_url, {"text": "demain à 14h", "reftime": str(REF_MS)})
    assert status == 200
    (entity,) = entities
    assert entity["body"] == "demain à 14h"  # the binding's Latin-1 quirk is repaired
    value = datetime.fromisoformat(entity["value"]["value"])
    assert value == datetime(2026, 11, 29, 14, 0, tzinfo=PARIS)
    assert value.utcoffset() == timedelta(hours=1)
    assert entity["value"]["grain"] == "hour"


def test_defaults_are_french_and_paris(duckling_url: str) -> None:
    # No locale, no tz: French parsing, Paris offset (an English default would miss "jeudi").
    status, entities = post(duckling_url, {"text": "jeudi après-midi", "reftime": str(REF_MS)})
    assert status == 200
    interval = entities[0]["value"]
    assert interval["type"] == "interval"
    assert interval["from"]["value"] == "2026-12-03T12:00:00.000+01:00"
    assert entities[0]["body"] == "jeudi après-midi"


def test_summer_time_offset_is_right(duckling_url: str) -> None:
    june = int(datetime(2026, 6, 10, 9, 0, tzinfo=PARIS).timestamp() * 1000)
    status, entities = post(duckling_url, {"text": "demain à 9h30", "reftime": str(june)})
    assert status == 200
    assert times(entities) == ["2026-06-11T09:30:00.000+02:00"]


def test_dimensions_filter_and_other_locales(duckling_url: str) -> None:
    fields = {
        "text": "tomorrow at 2pm, 3 km",
        "locale": "en_GB",
        "tz": "Europe/London",
        "dims": '["distance"]',
        "reftime": str(REF_MS),
    }
    status, entities = post(duckling_url, fields)
    assert status == 200
    assert [e["dim"] for e in entities] == ["distance"]


def test_rasa_sends_a_float_reftime_and_null_dims(duckling_url: str) -> None:
    status, entities = post(
        duckling_url, {"text": "demain", "dims": "null", "reftime": f"{REF_MS}.0", "tz": ""}
    )
    assert status == 200
    assert times(entities) == ["2026-11-29T00:00:00.000+01:00"]


def test_text_without_time_gives_an_empty_list(duckling_url: str) -> None:
    assert post(duckling_url, {"text": "bonjour 👋", "dims": '["time"]'}) == (200, [])


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({}, "missing field 'text'"),
        ({"text": "   "}, "missing field 'text'"),
        ({"text": "demain", "locale": "xx_YY"}, "unknown locale"),
        ({"text": "demain", "locale": "français"}, "unknown locale"),
        ({"text": "demain", "dims": '["time", "weather"]'}, "unknown dimension(s) weather"),
        ({"text": "demain", "dims": '{"a": 1}'}, "must be a JSON list"),
        ({"text": "demain", "reftime": "hier"}, "bad reftime"),
        ({"text": "demain", "reftime": "-5"}, "bad reftime"),
        ({"text": "demain", "tz": "Mars/Olympus"}, "unknown time zone"),
    ],
)
def test_bad_requests_get_a_400_with_a_clear_reason(
    duckling_url: str, fields: dict, reason: str
) -> None:
    status, body = post(duckling_url, fields)
    assert status == 400
    assert reason in body["error"]


def test_body_that_is_not_utf8_is_a_400(duckling_url: str) -> None:
    status, body = post(duckling_url, {}, raw=b"text=demain%20%E0%20" + "à".encode("latin-1"))
    assert status == 400 and "UTF-8" in body["error"]


def test_oversized_body_is_refused(duckling_url: str) -> None:
    status, body = post(duckling_url, {"text": "demain " * 20_000})
    assert status == 413 and "at most" in body["error"]


def test_a_long_paste_is_still_parsed(duckling_url: str) -> None:
    text = "bla " * 1200 + "demain à 14h"
    status, entities = post(duckling_url, {"text": text, "reftime": str(REF_MS)})
    assert status == 200
    assert entities[-1]["body"] == "demain à 14h"


def test_health_routes(duckling_url: str) -> None:
    with urllib.request.urlopen(f"{duckling_url}/", timeout=5) as response:
        assert response.read() == b"quack!"
    with urllib.request.urlopen(f"{duckling_url}/health", timeout=5) as response:
        assert json.loads(response.read()) == {"status": "ok", "service": "duckling"}


def test_concurrent_requests_get_exactly_the_serial_answers(duckling_url: str) -> None:
    cases = [("demain à 14h", REF_MS + i * 3_600_000) for i in range(10)] + [
        ("mardi vers 10h", REF_MS),
        ("le 12/12 à 9h30", REF_MS),
        ("après 17h", REF_MS),
    ] * 10

    def one(case: tuple[str, int]) -> object:
        return post(duckling_url, {"text": case[0], "reftime": str(case[1])})

    serial = [one(case) for case in cases]
    with ThreadPoolExecutor(max_workers=16) as pool:
        parallel = list(pool.map(one, cases))
    assert parallel == serial
    assert all(status == 200 and body for status, body in parallel)


def test_rasa_stock_extractor_uses_it_unchanged(duckling_url: str) -> None:
    """Rasa's DucklingEntityExtractor, configured as in config.yml, extracts French times."""
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.nlu.extractors.duckling_entity_extractor import DucklingEntityExtractor
    from rasa.shared.nlu.training_data.message import Message

    config = {
        **DucklingEntityExtractor.get_default_config(),
        "url": duckling_url,
        "dimensions": ["time"],
        "locale": "fr_FR",
        "timezone": "Europe/Paris",
    }
    extractor = DucklingEntityExtractor.create(
        config, LocalModelStorage("/tmp"), Resource("duckling"), None
    )
    message = Message(
        data={"text": "bonjour je voudrais un rdv demain à 14h svp"}, time=REF.timestamp()
    )
    (processed,) = extractor.process([message])
    (entity,) = processed.get("entities")
    assert entity["entity"] == "time"
    assert entity["extractor"] == "DucklingEntityExtractor"
    assert entity["text"] == "demain à 14h"
    assert entity["value"] == "2026-11-29T14:00:00.000+01:00"


def test_patient_text_in_the_query_string_stays_out_of_the_logs(
    duckling_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "renouvellement ordonnance antidepresseur"
    query = urllib.parse.urlencode({"text": f"demain {secret}"})
    with caplog.at_level("DEBUG", logger="clinic.adapters.duckling.server"):
        request = urllib.request.Request(f"{duckling_url}/parse?{query}", data=b"")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
    logged = [r.getMessage() for r in caplog.records if r.name == "clinic.adapters.duckling.server"]
    assert logged == ["POST /parse"]
    assert all(secret.split()[0] not in line for line in logged)
