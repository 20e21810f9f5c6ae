"""The recorded cassettes are redacted, stable and self-describing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from manila_ssm import jsonio
from manila_ssm.realmanila import cassette as cassettes
from manila_ssm.realmanila.cassette import Substitutions
from manila_ssm.realmanila.config import ADMIN_PROJECT, ADMIN_TOKEN, DEMO_TOKEN
from manila_ssm.realmanila.scenarios import PROBE_SCENARIOS, SCENARIOS, UNKNOWN_ID

CASSETTES = Path(__file__).parent.parent / "cassettes"
PATHS = sorted(CASSETTES.glob("*.json")) + sorted((CASSETTES / "probes").glob("*.json"))
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
REQUEST_ID = re.compile(r"req-" + UUID.pattern)  # request ids are kept as evidence; they name no deployment
KNOWN = re.compile(r"\{(token:(admin|non_admin)|project:(admin|non_admin)|host:[a-z]+|api:root"
                   r"|(server|share|share_network):[a-z]+(-destination)?)\}")


def test_one_cassette_per_scenario() -> None:
    assert sorted(p.stem for p in PATHS) == sorted(SCENARIOS)
    assert {p.stem for p in PATHS if p.parent.name == "probes"} == PROBE_SCENARIOS


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_no_token_project_or_deployment_id_is_stored(path: Path) -> None:
    text = path.read_text()
    for secret in (ADMIN_TOKEN, DEMO_TOKEN, ADMIN_PROJECT, "realmanila@", "127.0.0.1"):
        assert secret not in text
    assert set(UUID.findall(REQUEST_ID.sub("", text))) <= {UNKNOWN_ID}


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.stem)
def test_cassette_is_stable_json_with_known_placeholders(path: Path) -> None:
    loaded = cassettes.load(path)
    assert path.read_text() == jsonio.dumps(loaded.document())
    names = [item["name"] for item in loaded.interactions]
    assert len(names) == len(set(names)), "interaction names must be unique within a cassette"
    unknown = {p for p in cassettes.placeholders(loaded.document()) if not KNOWN.fullmatch(p)}
    assert not unknown
    for item in loaded.interactions:
        assert item["request"]["headers"].get("X-Auth-Token", "{token:admin}") in (
            "{token:admin}", "{token:non_admin}")
        assert isinstance(item["response"]["status"], int)


def test_substitution_replaces_longest_value_first() -> None:
    subs = Substitutions()
    subs.add("host", "{host:bare}")
    subs.add("host@beta", "{host:beta}")
    assert subs.value({"host": ["host@beta", "host"]}) == {"{host:bare}": ["{host:beta}", "{host:bare}"]}


def test_a_foreign_file_is_refused_with_the_fix(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text('{"format": "other"}')
    with pytest.raises(ValueError, match="re-record it"):
        cassettes.load(bad)
