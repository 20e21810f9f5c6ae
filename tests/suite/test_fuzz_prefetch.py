"""Fuzz cases generated ahead in a child process are the cases an in-process run generates and sends.

The suite generates the fuzz tests' cases in a child process while its
other tests run (:class:`manila_ssm.suite.fuzz.Prefetch`); that is only
sound if nothing about a run changes: same bodies in the same order, same
schemathesis metadata (its checks read the generation mode), same verdicts.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from manila_ssm.reference import ADMIN_TOKEN, ReferenceTarget
from manila_ssm.suite import contract as contracts
from manila_ssm.suite import fuzz
from manila_ssm.suite.client import Endpoint, ManilaClient, Redactor

SEED = 20261202
EXAMPLES = 5
PROJECT = ADMIN_TOKEN.partition(":")[2]


@pytest.fixture(scope="module")
def effective() -> contracts.Contract:
    return contracts.load("effective")


def in_process(contract: contracts.Contract, action: str, mode: str, examples: int = EXAMPLES) -> list[Any]:
    """What an in-process run generates, with real-looking path and header values."""
    seen: list[Any] = []
    operation = fuzz._operation(contract, action)
    headers = {"Accept": "application/json", "X-Auth-Token": ADMIN_TOKEN,
               "X-OpenStack-Manila-API-Version": "2.57", "X-OpenStack-Manila-API-Experimental": "True"}
    path = fuzz._path(contract, "5f0b3c1e-aaaa-4bbb-8ccc-0123456789ab", PROJECT)
    fuzz._cases(operation, mode, path, headers, examples, SEED, seen.append)
    return seen


def shape(body: Any, media_type: str | None, mode: Any) -> tuple[str, str | None, str]:
    return repr(body), media_type, str(mode)


@pytest.mark.parametrize("mode", ["positive", "negative"])
@pytest.mark.parametrize("action", contracts.ACTIONS)
def test_placeholder_generation_matches_in_process_generation(effective: contracts.Contract, action: str,
                                                              mode: str) -> None:
    expected = [shape(c.body, c.media_type, c._meta.generation.mode) for c in in_process(effective, action, mode)]
    got = [shape(g.body, g.media_type, g.meta.generation.mode)
           for g in fuzz.generated(effective, action, mode, EXAMPLES, SEED)]
    assert got == expected
    assert len(got) == EXAMPLES


def test_the_child_process_generates_the_same_cases(effective: contracts.Contract) -> None:
    jobs = [("migration_start", "negative"), ("migration_cancel", "positive")]
    prefetch = fuzz.Prefetch(effective, jobs, EXAMPLES, SEED)
    try:
        for action, mode in jobs:
            cases = prefetch.cases(effective, action, mode, EXAMPLES, SEED)
            assert cases is not None, "the child generated nothing"
            assert [(repr(c.body), c.media_type) for c in cases] == \
                [(repr(g.body), g.media_type) for g in fuzz.generated(effective, action, mode, EXAMPLES, SEED)]
        # anything else (another seed, a run it was not asked for) is generated in-process
        assert prefetch.cases(effective, "migration_start", "negative", EXAMPLES, SEED + 1) is None
        assert prefetch.cases(effective, "migration_check", "positive", EXAMPLES, SEED) is None
    finally:
        prefetch.close()


@pytest.fixture(scope="module")
def target() -> Any:
    with ReferenceTarget.start() as running:
        yield running


@pytest.mark.parametrize(("action", "mode"), [("migration_check", "negative"), ("migration_start", "positive"),
                                              ("migration_complete", "negative")])
def test_prefetched_cases_are_sent_and_judged_as_in_process(effective: contracts.Contract, target: Any,
                                                           action: str, mode: str) -> None:
    endpoint = Endpoint.parse(target.base_url, PROJECT)
    client = ManilaClient(endpoint, ADMIN_TOKEN, timeout=10, redactor=Redactor((ADMIN_TOKEN,)))
    created = client.request("POST", f"{endpoint.root}/_reference/share-servers",
                             json_body={"host": "ref@alpha", "shares": 1}, version=None)
    server = created.json["share_server"]["id"]
    # A judge that finds fault with some answers, so that schemathesis' second opinion is not always skipped.
    def judge(contract: contracts.Contract, name: str, body: Any, exchange: Any, well_formed: bool,
              check_body: bool = True) -> fuzz.Verdict:
        return fuzz.judge_answer(contract, name, body, exchange, well_formed, check_body)

    runs = [fuzz.run(effective, action, mode, client, server, "2.57", real_host="ref@beta", max_examples=EXAMPLES,
                     seed=SEED, judge=judge, cases=cases)
            for cases in (None, fuzz.generated(effective, action, mode, EXAMPLES, SEED))]
    sent = [[(json.loads(v.exchange.request_body) if v.exchange.request_body.startswith("{") else
              v.exchange.request_body, v.exchange.status, v.problem, v.defect) for v in run.verdicts] for run in runs]
    assert sent[0] == sent[1]
    assert len(sent[0]) == EXAMPLES
    client.close()
