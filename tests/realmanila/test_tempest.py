"""tempest.conf, tempest's output, and the breaking proxy, without tempest or Manila."""

from __future__ import annotations

import configparser
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from manila_ssm.cli import run
from manila_ssm.realmanila import breakproxy, tempest
from manila_ssm.realmanila.breakproxy import Answer
from manila_ssm.realmanila.procs import HarnessError

DEPLOYMENT = tempest.Deployment("http://127.0.0.1:15000/v3", "2.99", ("ALPHA", "BETA", "GAMMA"))


def test_conf_has_what_the_migration_tests_need() -> None:
    conf = configparser.ConfigParser(interpolation=None)
    conf.read_string(tempest.render_conf(DEPLOYMENT))
    share = conf["share"]
    assert share["catalog_type"] == "sharev2"  # the plugin's default is shared-file-system
    assert share["run_share_server_migration_tests"] == "True"
    assert share["multitenancy_enabled"] == "True"
    assert share["create_networks_when_multitenancy_enabled"] == "False"
    assert share["max_api_microversion"] == "2.99"
    assert share["backend_names"] == "ALPHA,BETA,GAMMA"
    assert share["capability_snapshot_support"] == "True"
    assert share["backend_replication_type"] == "readable"
    assert conf["auth"]["use_dynamic_credentials"] == "True"
    assert conf["identity"]["uri_v3"] == "http://127.0.0.1:15000/v3"
    assert conf["service_available"]["manila"] == "True"
    assert conf["service_available"]["neutron"] == "False"
    assert conf["identity-feature-enabled"]["api_v2"] == "False"


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"versions": [{"id": "v1.0", "version": ""}, {"id": "v2.0", "version": "2.99"}]}, "2.99"),
        ({"versions": [{"id": "v2.0", "version": "2.9"}, {"id": "v2.1", "version": "2.10"}]}, "2.10"),
    ],
)
def test_max_microversion_compares_numbers(document, expected) -> None:
    assert tempest.max_microversion(document) == expected


def test_a_version_document_without_v2_is_named() -> None:
    with pytest.raises(HarnessError, match="no v2 microversion"):
        tempest.max_microversion({"versions": [{"id": "v1.0", "version": ""}]})


OUTPUT = """\
{0} setUpClass (manila_tempest_tests.tests.api.admin.test_share_servers_migration.ShareServerMigrationBasicCIFS) ... SKIPPED: CIFS tests are disabled.
{1} manila_tempest_tests.tests.api.admin.test_share_servers_migration.ShareServerMigrationBasicNFS.test_share_server_migration_cancel[id-5b84bcb6-17d8-4073-8e02-53b54aee6f8b] [31.2s] ... ok
{2} manila_tempest_tests.tests.api.admin.test_share_servers_migration_negative.ShareServerMigrationInvalidParametersNFS.test_share_server_invalid_server_migration_get_progress[id-47795631,negative] [0.4s] ... FAILED

======
Totals
======
Ran: 3 tests in 95.0000 sec.
 - Passed: 1
 - Skipped: 1
 - Expected Fail: 0
 - Unexpected Success: 0
 - Failed: 1
Sum of execute time for each test: 31.6000 sec.
"""


def test_output_gives_counts_and_outcomes() -> None:
    summary = tempest.parse_output(OUTPUT)
    assert (summary.ran, summary.passed, summary.skipped, summary.failed) == (3, 1, 1, 1)
    assert summary.complete and not summary.ok
    name = ("manila_tempest_tests.tests.api.admin.test_share_servers_migration."
            "ShareServerMigrationBasicNFS.test_share_server_migration_cancel")
    assert summary.tests[name] == "pass"
    assert "fail" in summary.tests.values()


def test_a_run_cut_short_is_not_ok() -> None:
    summary = tempest.parse_output(OUTPUT.split("======")[0].replace("FAILED", "ok"))
    assert not summary.complete and not summary.ok


def test_tempest_refuses_a_noauth_deployment(capsys, tmp_path: Path) -> None:
    code = run(["real-manila", "tempest", "--base", str(tmp_path)], sys.stdout, sys.stderr)
    assert code == 1
    assert "--auth keystone" in capsys.readouterr().err


# -- the breaking proxy -------------------------------------------------------

ACTION = "/v2/p/share-servers/s1/action"


@pytest.mark.parametrize(
    ("variant", "action", "answer", "status", "body"),
    [
        ("check-answers-202", "migration_check", Answer(200, b'{"compatible": true}'), 202, {"compatible": True}),
        ("check-answers-202", "migration_start", Answer(202, b""), 202, None),
        ("start-answers-200", "migration_start", Answer(202, b""), 200, None),
        ("progress-wrong-task-state", "migration_get_progress",
         Answer(200, b'{"task_state": "migration_driver_phase1_done", "total_progress": 100}'),
         200, {"task_state": "migrating", "total_progress": 100}),
        ("progress-wrong-task-state", "migration_get_progress",
         Answer(200, b'{"task_state": "", "total_progress": 0}'), 200, {"task_state": "", "total_progress": 0}),
        ("complete-without-destination-id", "migration_complete",
         Answer(200, b'{"destination_share_server_id": "d"}'), 200, {}),
        ("complete-without-destination-id", "migration_complete", Answer(400, b'{"badRequest": {}}'),
         400, {"badRequest": {}}),
        ("progress-unknown-404", "migration_get_progress",
         Answer(400, b'{"badRequest": {"message": "A destination share server wasn\'t found"}}'), 404, None),
        ("progress-unknown-404", "migration_get_progress",
         Answer(400, b'{"badRequest": {"message": "not being migrated"}}'), 400, None),
        ("none", "migration_complete", Answer(200, b'{"destination_share_server_id": "d"}'),
         200, {"destination_share_server_id": "d"}),
    ],
)
def test_each_variant_breaks_only_its_behaviour(variant, action, answer, status, body) -> None:
    changed = breakproxy.variant(variant).rule(action, answer)
    assert changed.status == status
    if body is not None:
        assert changed.json() == body


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [
        ("POST", ACTION, b'{"migration_check": {}}', "migration_check"),
        ("POST", ACTION, b'{"a": 1, "b": 2}', None),
        ("POST", ACTION, b"not json", None),
        ("GET", ACTION, b'{"migration_check": {}}', None),
        ("POST", "/v2/p/shares/s1/action", b'{"migration_complete": null}', None),
    ],
)
def test_action_of(method, path, body, expected) -> None:
    assert breakproxy.action_of(method, path, body) == expected


def test_an_unknown_variant_is_named() -> None:
    with pytest.raises(ValueError, match="choose from none, check-answers-202"):
        breakproxy.variant("everything-broken")


class _Manila(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        body = json.dumps({"destination_share_server_id": "d", "token": self.headers.get("X-Auth-Token")}).encode()
        self.send_response(200)
        self.send_header("x-compute-request-id", "req-1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_the_proxy_forwards_headers_and_applies_its_rule() -> None:
    manila = ThreadingHTTPServer(("127.0.0.1", 0), _Manila)
    thread = threading.Thread(target=manila.serve_forever, daemon=True)
    thread.start()
    try:
        upstream = f"http://127.0.0.1:{manila.server_address[1]}"
        with breakproxy.serving(upstream, breakproxy.variant("complete-without-destination-id").rule) as root:
            response = requests.post(root + ACTION, json={"migration_complete": None},
                                     headers={"X-Auth-Token": "t"}, timeout=10)
            other = requests.post(root + ACTION, json={"migration_cancel": None}, timeout=10)
    finally:
        manila.shutdown()
        manila.server_close()
    assert response.status_code == 200
    assert response.json() == {"token": "t"}
    assert response.headers["x-compute-request-id"] == "req-1"
    assert response.headers["Connection"] == "close"
    assert other.json()["destination_share_server_id"] == "d"


# -- the side-by-side table ---------------------------------------------------

def test_suite_argv_goes_through_the_proxy_with_the_clouds(tmp_path: Path, monkeypatch) -> None:
    from manila_ssm.realmanila import sidebyside
    from manila_ssm.realmanila.config import from_environment

    monkeypatch.delenv("OS_CLIENT_CONFIG_FILE", raising=False)
    config = from_environment({}, base=tmp_path, auth="keystone")
    document = {"project_id": "abc", "backends": {"alpha": "h@alpha", "beta": "h@beta"}}
    argv = sidebyside.suite_argv(config, document, "http://127.0.0.1:9", tmp_path / "r", ("--ssm-seed", "1"))
    assert argv[argv.index("--base-url") + 1] == "http://127.0.0.1:9/v2/abc"
    assert argv[argv.index("--cloud") + 1] == "ssm-admin"
    assert argv[argv.index("--dest-hosts") + 1] == "h@alpha,h@beta"
    assert argv[-2:] == ["--ssm-seed", "1"]


def test_table_says_who_caught_what(tmp_path: Path) -> None:
    from manila_ssm.realmanila import sidebyside

    report = tmp_path / "conformance.json"
    report.write_text(json.dumps({"verdict": "fail", "counts": {"fail": 1}, "requirements": [
        {"id": "SSM-B", "outcome": "fail"}, {"id": "SSM-A", "outcome": "pass"}]}))
    ours = {**sidebyside.outcome_of(report), "seconds": 90.0, "exit": 1}
    assert ours["failed"] == ["SSM-B"]
    assert sidebyside.outcome_of(tmp_path / "missing.json")["verdict"] == "no report"
    upstream = {"ok": True, "passed": 23, "failed": 0, "skipped": 8, "complete": True, "seconds": 240.0}
    entry = {"variant": "complete-without-destination-id", "what": "x", "tempest": upstream, "suite": ours}
    assert sidebyside.caught(entry) == (False, True)
    table = sidebyside.markdown({"variants": [entry]})
    assert "| complete-without-destination-id | x | passes: 23 pass, 0 fail, 8 skip (240 s) |" in table
    assert "**caught**: DOES NOT CONFORM (SSM-B) (90 s) |" in table


@pytest.mark.parametrize(
    ("variant", "selected", "left_out"),
    [
        ("check-answers-202", "ShareServerMigrationBasicNFS.test_share_server_migration_check[id-52e1,True]",
         "ShareServerMigrationBasicNFS.test_share_server_migration_cancel[id-5b84]"),
        ("start-answers-200", "ShareServerMigrationInvalidParametersNFS.test_share_server_invalid_host_migration_start",
         "ShareServerMigrationStartNegativesNFS.test_share_server_migration_start_try_create_snapshot"),
        ("progress-unknown-404",
         "ShareServerMigrationInvalidParametersNFS.test_share_server_invalid_server_migration_get_progress",
         "ShareServerErrorStatusOperationNFS.test_share_server_invalid_operation_migration_cancel"),
        ("complete-without-destination-id",
         "ShareServerMigrationBasicNFS.test_share_server_migration_complete_allow_replica_1__True__True_",
         "ShareServerMigrationBasicNFS.test_share_server_migration_check[id-52e1,True]"),
    ],
)
def test_tempest_scope_selects_the_tests_that_send_the_broken_action(variant, selected, left_out) -> None:
    import re

    pattern = tempest.MIGRATION_TESTS + ".*" + breakproxy.variant(variant).tempest_calls
    prefix = "manila_tempest_tests.tests.api.admin.test_share_servers_migration_negative."
    assert re.search(pattern, prefix + selected)
    assert not re.search(pattern, prefix + left_out)
