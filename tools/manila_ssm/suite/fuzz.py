"""Schemathesis-generated requests, aimed at one action at a time.

The five actions are one OpenAPI operation; each action gets its own strategy
from a copy of the document whose request body is narrowed to that action
(:meth:`Contract.action_variant`). Hypothesis only generates here: every case
is sent with the suite's client (timeouts, redaction) and judged afterwards,
so a run is bounded by ``--ssm-max-examples`` and repeatable with ``--ssm-seed``.

Generated requests never migrate anything: the destination host of start is
never a real host, and every case goes to the suite's idle server.

Generating is pure (a case never depends on an answer: the test function
never fails, so Hypothesis' choices follow the seed alone), and it is most of
a fuzz test's CPU. :class:`Prefetch` therefore generates the cases of a whole
run in one child process while the suite runs its other tests on the other
core; sending and judging stay here, in order, with the same cases an
in-process run would generate (``tests/suite/test_fuzz_prefetch.py``).
"""

from __future__ import annotations

import contextlib
import json
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.core import NOT_SET
from schemathesis.errors import FailureGroup

from manila_ssm.suite import fuzzpool, known_defects
from manila_ssm.suite.client import EXPERIMENTAL_HEADER, VERSION_HEADER, ManilaClient
from manila_ssm.suite.contract import Contract, from_document
from manila_ssm.suite.outcomes import Exchange

_TRUE = frozenset({"1", "t", "true", "on", "y", "yes"})
_FALSE = frozenset({"0", "f", "false", "off", "n", "no"})
FLAGS = ("writable", "nondisruptive", "preserve_snapshots")
# A child process costs about a second of CPU (a fresh interpreter importing schemathesis); below this
# many (action, mode) runs it does not pay for itself, and those runs generate in-process.
PREFETCH_MIN_JOBS = 4
# Stand-ins for the explicit path and header values while generating: they are fixed values that
# Hypothesis never draws, so the cases are the same as with the real ones (tested).
_PLACEHOLDER_PATH = {"share_server_id": "00000000-0000-4000-8000-000000000000", "project_id": "placeholder"}
_PLACEHOLDER_HEADERS = ("Accept", "X-Auth-Token", VERSION_HEADER, EXPERIMENTAL_HEADER)


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


@dataclass(frozen=True, slots=True)
class Generated:
    """One generated case as data: the case's own containers and schemathesis' metadata about them.

    The metadata keeps hashes of the containers it was generated with, so the
    case is rebuilt from exactly these (placeholders in path and headers; the
    request itself is sent with the real values).
    """

    body: Any
    has_body: bool
    media_type: str | None
    path_parameters: dict[str, Any]
    headers: Any
    query: dict[str, Any]
    cookies: dict[str, Any]
    meta: Any  # schemathesis' CaseMetadata

    @classmethod
    def of(cls, case: Any) -> Generated:
        has_body = case.body is not NOT_SET
        return cls(case.body if has_body else None, has_body, case.media_type, case.path_parameters, case.headers,
                   case.query, case.cookies, case._meta)

    def case(self, operation: Any) -> Any:
        """The schemathesis case again, for its own checks of an answer."""
        return operation.Case(method="POST", path_parameters=self.path_parameters, headers=self.headers,
                              query=self.query, cookies=self.cookies, body=self.body if self.has_body else NOT_SET,
                              media_type=self.media_type, _meta=self.meta)


def _operation(contract: Contract, action: str) -> Any:
    """Schemathesis' operation for ``action``, from the document narrowed to it."""
    schema = schemathesis.openapi.from_dict(contract.action_variant(action), config=checks_config(contract, action))
    return schema[contract.action_path]["POST"]


def _path(contract: Contract, server_id: str, project_id: str | None) -> dict[str, str]:
    path = {"share_server_id": server_id}
    if "{project_id}" in contract.action_path:
        path["project_id"] = project_id or "none"
    return path


def _cases(operation: Any, mode: str, path: dict[str, str], headers: dict[str, str], max_examples: int, seed: int,
           each: Callable[[Any], None]) -> None:
    """Let Hypothesis generate up to ``max_examples`` cases and hand each to ``each`` as it comes."""
    strategy = operation.as_strategy(
        GenerationMode.POSITIVE if mode == "positive" else GenerationMode.NEGATIVE,
        path_parameters=path, headers=headers,
    )

    @hypothesis.seed(seed)
    @settings(max_examples=max_examples, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def generate(case: Any) -> None:
        each(case)

    with seed_only():
        generate()


@contextlib.contextmanager
def seed_only() -> Iterator[None]:
    """Let the seed alone decide what Hypothesis generates.

    Hypothesis also draws literal constants found in the "local" (not
    installed) modules loaded in the process, which made one seed generate
    other cases in an editable checkout than from a wheel, after another
    module was imported, or in a child process (and cost a parse of each such
    module). Hypothesis has no setting for it, so its private pool is swapped
    for an empty one while the suite generates; if that internal moves, the
    generation still works, only less repeatably (tests/suite/test_fuzz_prefetch.py notices).
    """
    from hypothesis.internal.conjecture import providers

    original = getattr(providers, "_get_local_constants", None)
    cache = getattr(providers, "CONSTANTS_CACHE", None)
    empty = getattr(providers, "Constants", None)
    if original is None or cache is None or empty is None:
        yield
        return
    none = empty()
    providers._get_local_constants = lambda: none
    cache.cache.clear()  # choices filtered with the local pool so far
    try:
        yield
    finally:
        providers._get_local_constants = original
        cache.cache.clear()


def generated(contract: Contract, action: str, mode: str, max_examples: int, seed: int) -> list[Generated]:
    """The cases a run of ``action`` in ``mode`` sends, generated without a target (placeholder values)."""
    path = _path(contract, _PLACEHOLDER_PATH["share_server_id"], _PLACEHOLDER_PATH["project_id"])
    headers = {name: "placeholder" for name in _PLACEHOLDER_HEADERS}
    out: list[Generated] = []
    _cases(_operation(contract, action), mode, path, headers, max_examples, seed,
           lambda case: out.append(Generated.of(case)))
    return out


_CHILD_CONTRACT: dict[tuple[str, str], Contract] = {}
# A case list takes a second or two; a child that takes minutes is stuck (stopped, swapping).
_CHILD_PATIENCE_S = 300.0


def child_generate(name: str, document: dict[str, Any], where: str, action: str, mode: str, max_examples: int,
                   seed: int) -> list[Generated]:
    """In the child: :func:`generated`, with the contract rebuilt from its document (once)."""
    contract = _CHILD_CONTRACT.get((name, where))
    if contract is None or contract.document != document:
        contract = _CHILD_CONTRACT[(name, where)] = from_document(name, document, where)
    return generated(contract, action, mode, max_examples, seed)


class Prefetch:
    """Generates the cases of several (action, mode) runs in one child process, in the order given.

    :meth:`cases` waits for one run's cases, or returns None when the child
    failed (the caller then generates in-process: same seed, same cases).
    """

    def __init__(self, contract: Contract, jobs: Iterable[tuple[str, str]], max_examples: int, seed: int) -> None:
        self._child = fuzzpool.take()
        self._key = (contract, max_examples, seed)
        self._futures: dict[tuple[str, str], Future[list[Generated]]] = {}
        document = dict(contract.document)
        for action, mode in dict.fromkeys(jobs):
            self._futures[(action, mode)] = self._child.submit(
                "child_generate", contract.name, document, contract.path, action, mode, max_examples, seed)

    def cases(self, contract: Contract, action: str, mode: str, max_examples: int, seed: int) -> list[Generated] | None:
        future = self._futures.get((action, mode))
        if future is None or self._key[0] is not contract or self._key[1:] != (max_examples, seed):
            return None
        try:
            return future.result(timeout=_CHILD_PATIENCE_S)
        except Exception:  # a broken or stuck child (killed, out of memory): generate in-process instead
            return None

    def close(self) -> None:
        self._child.stop()


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
    cases: Sequence[Generated] | None = None,
) -> FuzzRun:
    """Send up to ``max_examples`` generated cases for ``action`` in ``mode`` and judge each answer.

    ``cases`` are the same cases generated beforehand (:class:`Prefetch`);
    without them Hypothesis generates here, one case per request.
    """
    operation = _operation(contract, action)
    path = _path(contract, server_id, client.endpoint.project_id)
    headers = client.headers(version, True)
    outcome = FuzzRun(action, mode)
    judge = judge or judge_answer
    url = client.endpoint.v2(f"/share-servers/{server_id}/action")

    def send(case: Any) -> None:
        body = _aim(action, case.body, real_host)
        send_headers = {**headers, VERSION_HEADER: version, EXPERIMENTAL_HEADER: "True"}
        if case.media_type:
            send_headers["Content-Type"] = case.media_type
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        answers: list[Any] = []
        # patience=1: fuzzing stops at the first timeout (the client raises TargetStoppedAnswering), counted
        # under a name of its own so that it stops the generated requests only, never a lane's scenario
        # (suite/lanes.py); an action the scenarios found unanswered is not fuzzed either.
        client.breaker.check(action)
        exchange = client.send("POST", url, send_headers, data, on_response=answers.append,
                               operation=f"{action} (generated)", patience=1)
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

    if cases is None:
        _cases(operation, mode, path, headers, max_examples, seed, send)
    else:
        for case in cases:
            send(case.case(operation))
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
