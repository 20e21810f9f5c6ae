"""Schemathesis-generated requests, aimed at one action at a time.

The five actions are one OpenAPI operation; each action gets its own strategy
from a copy of the document whose request body is narrowed to that action
(:meth:`Contract.action_variant`). Hypothesis only generates here: every case
is sent with the suite's client (timeouts, redaction) and judged afterwards,
so a run is bounded by ``--ssm-max-examples`` and repeatable with ``--ssm-seed``.

Generated requests never migrate anything: the destination host of start is
never a real host, and every case goes to the suite's idle server.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.errors import FailureGroup

from manila_ssm.suite import known_defects
from manila_ssm.suite.client import EXPERIMENTAL_HEADER, VERSION_HEADER, ManilaClient
from manila_ssm.suite.contract import Contract
from manila_ssm.suite.outcomes import Exchange

_TRUE = frozenset({"1", "t", "true", "on", "y", "yes"})
_FALSE = frozenset({"0", "f", "false", "off", "n", "no"})
FLAGS = ("writable", "nondisruptive", "preserve_snapshots")


@dataclass(frozen=True, slots=True)
class Verdict:
    """How one generated case fared: ``problem`` is None when it was answered acceptably."""

    exchange: Exchange
    problem: str | None = None
    defect: str | None = None
    description: str = ""
    requirement: str | None = None  # the state model's requirement, when the model refused the answer


@dataclass
class FuzzRun:
    action: str
    mode: str
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def failures(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.problem and not v.defect]

    @property
    def defects(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.defect]


def oslo_bool(value: Any) -> bool:
    """Whether Manila's strict boolean parsing (manila/utils.py) accepts ``value``."""
    if isinstance(value, bool):
        return True
    if isinstance(value, (dict, list)) or value is None:
        return False
    return str(value).strip().lower() in _TRUE | _FALSE


def upstream_accepts(action: str, body: Any) -> bool:
    """Whether upstream Manila would take ``body`` as a well-formed ``action`` request.

    Negative cases that are well-formed in this sense (an ignored extra key, a
    boolean spelled "yes") are judged as positive ones instead.
    """
    if not (isinstance(body, dict) and list(body) == [action]):
        return False
    if action not in ("migration_check", "migration_start"):
        return True  # manila/api/v2/share_servers.py never reads these values
    params = body[action]
    return (
        isinstance(params, dict)
        and all(k in params for k in ("host", *FLAGS))
        and all(oslo_bool(params[k]) for k in FLAGS)
        and isinstance(params["host"], str) and "@" in params["host"] and "#" not in params["host"]
        and (not params.get("new_share_network_id") or known_defects.binds_as_one_value(params["new_share_network_id"]))
    )


def known_defect(action: str, body: Any, status: int | None) -> str | None:
    """The known upstream defect a 5xx answer to ``body`` is explained by, if any (by cause)."""
    return known_defects.explain(action, body, status)


def _aim(action: str, body: Any, real_host: str | None) -> Any:
    """Keep generated hosts away from real ones (start) or point check at a real one."""
    if not (isinstance(body, dict) and isinstance(body.get(action), dict)):
        return body
    params = dict(body[action])
    host = params.get("host")
    if isinstance(host, str) and "#" not in host:
        if action == "migration_check" and real_host:
            params["host"] = real_host
        elif "@" not in host or host.split("@", 1)[1] in ("", real_host):
            params["host"] = f"ssm-fuzz-{zlib.crc32(host.encode()) % 997}@ssm-fuzz"  # stable across runs
        elif real_host and host == real_host:
            params["host"] = "ssm-fuzz@ssm-fuzz"
    return {action: params}


def run(
    contract: Contract,
    action: str,
    mode: str,
    client: ManilaClient,
    server_id: str,
    version: str,
    *,
    real_host: str | None,
    max_examples: int,
    seed: int,
    judge: Callable[[Contract, str, Any, Exchange, bool, bool], Verdict] | None = None,
    model: Callable[[str, Exchange], tuple[str, str] | None] | None = None,
) -> FuzzRun:
    """Generate up to ``max_examples`` cases for ``action`` in ``mode`` and judge each answer."""
    schema = schemathesis.openapi.from_dict(contract.action_variant(action), config=checks_config(contract, action))
    operation = schema[contract.action_path]["POST"]
    path = {"share_server_id": server_id}
    if "{project_id}" in contract.action_path:
        path["project_id"] = client.endpoint.project_id or "none"
    headers = client.headers(version, True)
    strategy = operation.as_strategy(
        GenerationMode.POSITIVE if mode == "positive" else GenerationMode.NEGATIVE,
        path_parameters=path, headers=headers,
    )
    outcome = FuzzRun(action, mode)
    judge = judge or judge_answer
    url = client.endpoint.v2(f"/share-servers/{server_id}/action")

    @hypothesis.seed(seed)
    @settings(max_examples=max_examples, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def generate(case: Any) -> None:
        body = _aim(action, case.body, real_host)
        send_headers = {**headers, VERSION_HEADER: version, EXPERIMENTAL_HEADER: "True"}
        if case.media_type:
            send_headers["Content-Type"] = case.media_type
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        answers: list[Any] = []
        exchange = client.send("POST", url, send_headers, data, on_response=answers.append)
        well_formed = mode == "positive" or upstream_accepts(action, body)
        # A schema-invalid body that Manila takes anyway gets its raw values echoed (check), which no
        # response schema can promise: such answers are held to the codes only.
        verdict = judge(contract, action, body, exchange, well_formed, mode == "positive")
        if verdict.problem is None and answers and (mode == "positive" or not well_formed):
            verdict = second_opinion(case, answers[0], verdict)
        if verdict.problem is None and well_formed and model is not None:
            # The state model: the answer must be one the idle server's state allows (e.g. never a 200 to
            # complete); a refusal is reported under the model's own requirement.
            refused = model(action, exchange)
            if refused is not None:
                verdict = Verdict(exchange, refused[1], requirement=refused[0])
        outcome.verdicts.append(verdict)

    generate()
    return outcome


def checks_config(contract: Contract, action: str) -> schemathesis.Config:
    """Schemathesis' own acceptance checks, with this action's codes: success + documented errors, never 5xx."""
    terms = contract.actions[action]
    errors = sorted({code for code in terms.error_codes if 400 <= code < 500} | {400})
    return schemathesis.Config.from_dict({"checks": {
        "enabled": False,
        "not_a_server_error": {"enabled": True},
        "positive_data_acceptance": {"enabled": True, "expected-statuses": [terms.success_code, *errors]},
        "negative_data_rejection": {"enabled": True, "expected-statuses": errors},
    }})


def second_opinion(case: Any, response: Any, verdict: Verdict) -> Verdict:
    """Run schemathesis' checks on an answer our own judgement accepted; its failure message wins."""
    try:
        case.validate_response(response)
    except (AssertionError, FailureGroup) as failure:
        first = next((line for line in str(failure).splitlines() if line.strip()), type(failure).__name__)
        return Verdict(verdict.exchange, f"schemathesis: {first.strip()}")
    return verdict


def judge_answer(contract: Contract, action: str, body: Any, exchange: Exchange, well_formed: bool,
                 check_body: bool = True) -> Verdict:
    """Positive (well-formed) cases: success or a documented error; others: a documented 4xx. Never 5xx."""
    terms = contract.actions[action]
    status = exchange.status
    if status is None:
        return Verdict(exchange, f"no answer: {exchange.error}")
    defect = known_defect(action, body, status)
    if defect:
        return Verdict(exchange, f"{status} (known upstream defect)", defect)
    if status >= 500:
        return Verdict(exchange, f"server error {status}")
    echoed = exchange.header(VERSION_HEADER)
    requested = next((v for k, v in exchange.request_headers.items() if k.lower() == VERSION_HEADER.lower()), None)
    if echoed != requested:
        return Verdict(exchange, f"the answer echoes {VERSION_HEADER} {echoed!r}, not {requested!r}")
    if exchange.response_body and not (exchange.header("Content-Type") or "").startswith("application/json"):
        return Verdict(exchange, f"the answer's Content-Type is {exchange.header('Content-Type')!r}, not JSON")
    errors = {code for code in terms.error_codes if 400 <= code < 500}
    if not well_formed:
        if status not in errors | {400}:
            return Verdict(exchange, f"a schema-invalid request was answered {status}, not a documented 4xx "
                                     f"({', '.join(map(str, sorted(errors | {400})))})")
        return Verdict(exchange)
    if status not in errors | {terms.success_code}:
        return Verdict(exchange, f"a well-formed request was answered {status}, neither {terms.success_code} "
                                 f"nor a documented error ({', '.join(map(str, sorted(errors)))})")
    if status == terms.success_code and check_body:
        if terms.response_schema is None:
            if exchange.response_body.strip():
                return Verdict(exchange, f"{action} answered with a body where none is due")
        elif not exchange.json_ok:
            return Verdict(exchange, "the success answer is not JSON")
        else:
            problems = contract.errors(terms.response_schema, exchange.json)
            if problems:
                return Verdict(exchange, "the success answer breaks the response schema: " + "; ".join(problems[:3]))
    return Verdict(exchange)
