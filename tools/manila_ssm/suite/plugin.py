"""The pytest plugin: options, markers, fixtures, per-requirement records, reports.

Registered as the ``manila_ssm`` pytest11 entry point. It stays inert in any
run that collects no test marked ``ssm_requirement``: options are merely declared,
nothing is resolved, started, printed or written.
"""

from __future__ import annotations

import json
import secrets
import sys
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from manila_ssm import gcpause
from manila_ssm.suite import catalogue as cat
from manila_ssm.suite import contract as contracts
from manila_ssm.suite import lanes, report_files, reports
from manila_ssm.suite.checks import Verifier
from manila_ssm.suite.config import OPTIONS, ConfigError, SuiteConfig, check_writable, resolve
from manila_ssm.suite.fixtures import Conformance
from manila_ssm.suite.outcomes import Outcome, Record, RecordSink, RequirementFailure
from manila_ssm.suite.servers import UnsafeServer
from manila_ssm.suite.session import SuiteSession, TargetUnreachable, start
from manila_ssm.suite.terminal import progress_writer, reproduce_command

if TYPE_CHECKING:
    from manila_ssm.suite.fuzz import Prefetch

MARKER = "ssm_requirement"
RECORDS_PROPERTY = "ssm_records"
REQUIREMENTS_PROPERTY = "requirements"
# Derived requirement kinds a test may name instead of an id, as ``kind`` (the item's ``action``
# parameter completes it) or ``kind:action``; their ids follow the contract (SSM-CHECK-STATUS-200 or -202).
_DERIVED = {
    "status": lambda c, a: cat.status_id(a, c.actions[a].success_code),
    "schema": lambda c, a: cat.schema_id(a),
    "error-codes": lambda c, a: cat.error_codes_id(a),
    "fuzz-positive": lambda c, a: cat.fuzz_id(a, "positive"),
    "fuzz-negative": lambda c, a: cat.fuzz_id(a, "negative"),
    "policy": lambda c, a: cat.policy_id(a),
    "unknown": lambda c, a: cat.unknown_id(a),
}


class _State:
    """Plugin state for one pytest run, kept in ``config.stash``."""

    def __init__(self) -> None:
        self.active = False
        self.config: SuiteConfig | None = None
        self.contract: contracts.Contract | None = None
        self.catalogue: cat.Catalogue | None = None
        self.session: SuiteSession | None = None
        self.records: list[Record] = []
        self.tests: dict[str, list[str]] = {}
        self.written: list[Path] = []
        self.summary: reports.Summary | None = None
        self.prefetch: Prefetch | None = None
        self.lane_items: list[tuple[pytest.Item, lanes.LaneMark]] = []  # marked ssm_lane, moved last (suite/lanes.py)
        self.lanes: lanes.Lanes | None = None  # started with the session when they may run side by side
        self.lanes_blocked: str | None = None
        self.settled = False  # start-up objects are exempt from garbage collection (gcpause) until the end
        self.seed = secrets.randbits(32)  # not the global random module: other tests may seed it


STATE = pytest.StashKey[_State]()
ITEM_REQUIREMENTS = pytest.StashKey[tuple[str, ...]]()
ITEM_SINK = pytest.StashKey[RecordSink]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("manila-ssm", "Manila share server migration conformance")
    for option in OPTIONS:
        help_text = f"{option.help} (env {option.env}, ini {option.ini})"
        group.addoption(option.flag, dest=f"ssm_{option.name}", default=None, help=help_text)
        parser.addini(option.ini, help=option.help, default=None)


def pytest_configure(config: pytest.Config) -> None:
    # A marker name of our own, so a project with its own ``requirement`` marker never wakes the plugin.
    config.addinivalue_line("markers", "ssm_requirement(*ids): the catalogue requirements a conformance test checks")
    config.addinivalue_line("markers", f"{lanes.MARKER}(name, server='pool'|'stateful'): on a real target this test "
                                       "runs in a background lane while the others run (suite/lanes.py)")
    state = _State()
    config.stash[STATE] = state
    # Registered before pytest's own plugins register theirs (they configure after us), so it runs after
    # them: their closing garbage collections and the report writing still skip the frozen start-up objects.
    config.add_cleanup(lambda: _thaw(state))
    config.pluginmanager.register(_Collector(state), "manila-ssm-collector")


def _resolve(config: pytest.Config) -> SuiteConfig:
    flags = {o.name: config.getoption(f"ssm_{o.name}") for o in OPTIONS}
    ini = {o.name: config.getini(o.ini) for o in OPTIONS}
    suite_config = resolve(flags, ini)
    if suite_config.seed is None:
        # pytest-xdist workers take the controller's seed so that all of them generate alike
        seed = getattr(config, "workerinput", {}).get("ssm_seed", config.stash[STATE].seed)
        suite_config = resolve({**flags, "seed": str(seed)}, ini)
    return suite_config


def _activate(config: pytest.Config) -> _State:
    state = config.stash[STATE]
    if state.active:
        return state
    try:
        state.config = _resolve(config)
        check_writable(Path(state.config.reports_dir))
        state.contract = contracts.load(state.config.contract, state.config.openapi or None)
    except (ConfigError, contracts.ContractError) as error:
        raise pytest.UsageError(f"manila-ssm: {error}") from None
    state.catalogue = cat.build(state.contract)
    state.active = True
    return state


def item_requirements(item: pytest.Item, contract: contracts.Contract) -> tuple[str, ...]:
    ids: list[str] = []
    action = getattr(item, "callspec", None) and item.callspec.params.get("action")
    for marker in item.iter_markers(MARKER):
        for name in marker.args:
            kind, _, named_action = name.partition(":")
            if kind in _DERIVED:
                if not (named_action or action):
                    raise pytest.UsageError(f"{item.nodeid}: requirement kind {name!r} needs an 'action' parameter")
                ids.append(_DERIVED[kind](contract, named_action or action))
            else:
                ids.append(name)
    return tuple(dict.fromkeys(ids))


@pytest.hookimpl(trylast=True)  # after reordering plugins (pytest-randomly): the fuzz tests are moved last
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    if not any(item.get_closest_marker(MARKER) for item in items):
        return
    state = _activate(config)
    assert state.contract is not None and state.catalogue is not None and state.config is not None
    wanted = set(state.config.requirements)
    unknown = wanted - set(state.catalogue.requirements)
    if unknown:
        raise pytest.UsageError(f"manila-ssm: --ssm-requirements names unknown ids: {', '.join(sorted(unknown))}")
    kept, dropped = [], []
    for item in items:
        ids = item_requirements(item, state.contract) if item.get_closest_marker(MARKER) else ()
        missing = [i for i in ids if i not in state.catalogue]
        unknown = [i for i in missing if i not in cat.listed_ids()]
        if unknown:
            raise pytest.UsageError(f"{item.nodeid}: requirement ids not in the catalogue: {', '.join(unknown)}")
        if missing:  # a requirement of the other contract only
            item.add_marker(pytest.mark.skip(reason=f"{', '.join(missing)}: not part of the "
                                                    f"{state.catalogue.contract} contract"))
            ids = tuple(i for i in ids if i in state.catalogue)
        item.stash[ITEM_REQUIREMENTS] = ids
        (kept if not wanted or wanted & set(ids) else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
    _prefetch_fuzz(config, state, items)
    _lanes_last(config, state, items)


def _lanes_last(config: pytest.Config, state: _State, items: list[pytest.Item]) -> None:
    """Move the lane tests last, where the main thread waits for them (``suite/lanes.py``).

    Only where lanes may run: a target given by URL (the embedded one has the
    fixture API), outside pytest-xdist workers, not with ``--ssm-lanes off``,
    and not when pytest only sets up (``--setup-only``: no test body runs).
    """
    assert state.config is not None
    marked = {item: mark for item in items if (mark := lanes.lane_to_run(item))}  # checked in every mode
    options = config.option
    if state.config.embedded or state.config.lanes == "off" or hasattr(config, "workerinput") or \
            getattr(options, "setuponly", False) or getattr(options, "setupplan", False):
        return
    if marked:
        items[:] = [item for item in items if item not in marked] + list(marked)
        state.lane_items = list(marked.items())


def fuzz_job(item: pytest.Item) -> tuple[str, str] | None:
    """``(action, mode)`` when ``item`` is a generated-requests test (its marker names a fuzz kind)."""
    action = getattr(item, "callspec", None) and item.callspec.params.get("action")
    for marker in item.iter_markers(MARKER):
        for name in marker.args:
            kind, _, named_action = name.partition(":")
            if kind in ("fuzz-positive", "fuzz-negative") and (named_action or action):
                return named_action or action, kind.removeprefix("fuzz-")
    return None


def _prefetch_fuzz(config: pytest.Config, state: _State, items: list[pytest.Item]) -> None:
    """Generate the fuzz tests' cases in a child process while the other tests run, and run those last.

    Not on pytest-xdist workers (the run is parallel already) nor for a few
    fuzz tests (the child's start-up would cost more than it saves). The
    order of the other tests is kept; generated cases are the same either way.
    """
    jobs = {item: job for item in items if (job := fuzz_job(item)) is not None}
    if not jobs or hasattr(config, "workerinput"):
        return
    from manila_ssm.suite.fuzz import PREFETCH_MIN_JOBS, Prefetch  # schemathesis: only when fuzzing

    if len(set(jobs.values())) < PREFETCH_MIN_JOBS:
        return
    items[:] = [item for item in items if item not in jobs] + list(jobs)
    assert state.contract is not None and state.config is not None and state.config.seed is not None
    if state.prefetch is None and not config.getoption("collectonly"):
        state.prefetch = Prefetch(state.contract, jobs.values(), state.config.max_examples, state.config.seed)


@pytest.fixture(scope="session")
def ssm_session(request: pytest.FixtureRequest) -> Iterator[SuiteSession]:
    """The target (started here when none is configured) and what was discovered about it."""
    state = _activate(request.config)
    assert state.config is not None and state.contract is not None
    try:
        session = start(state.config, state.contract, progress_writer(request.config))
    except ConfigError as error:  # a setting only the target can refute (e.g. a version above its maximum)
        pytest.exit(f"manila-ssm: {error}", returncode=pytest.ExitCode.USAGE_ERROR)
    state.session = session
    _start_lanes(state, session)
    # imports, contract and target are up: full collections need not walk them again (thawed at the end)
    gcpause.settle(collect=False)
    state.settled = True
    try:
        yield session
    finally:
        session.close()
        if state.lanes is not None:
            state.lanes.stop()


def _start_lanes(state: _State, session: SuiteSession) -> None:
    """Start the lane tests in their threads, each with its own sink, when they may run side by side."""
    if not state.lane_items:
        return
    state.lanes_blocked = lanes.blocked([mark for _, mark in state.lane_items], session.pool)
    if state.lanes_blocked is not None:
        return
    session.pool.idle()  # chosen first, so that no lane takes it
    runs = []
    for item, mark in state.lane_items:
        sink = RecordSink(item.nodeid)
        item.stash[ITEM_SINK] = sink
        runs.append(lanes.LaneRun(item, mark.name, Conformance(session, Verifier(session.catalogue, session.contract,
                                                                                sink))))
    _ = runs[0].conformance.tracker  # made once, before any thread asks for it
    state.lanes = lanes.Lanes(runs)
    state.lanes.start()


def _thaw(state: _State) -> None:
    if state.settled:
        state.settled = False
        gcpause.thaw()


@pytest.fixture
def ssm(request: pytest.FixtureRequest, ssm_session: SuiteSession) -> Conformance:
    """What a conformance test uses: clients, contract, servers, and the verifier that records verdicts."""
    state = request.config.stash[STATE]
    run = state.lanes.run_of(request.node) if state.lanes is not None else None
    if run is not None:  # started in its lane with the session; pytest_pyfunc_call waits for it
        return run.conformance
    sink = RecordSink(request.node.nodeid)
    request.node.stash[ITEM_SINK] = sink
    prefetch = state.prefetch
    return Conformance(ssm_session, Verifier(ssm_session.catalogue, ssm_session.contract, sink), prefetch=prefetch)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """A lane test ran in its lane: wait for it here and end as it ended."""
    state = pyfuncitem.config.stash.get(STATE, None)
    run = state.lanes.run_of(pyfuncitem) if state is not None and state.lanes is not None else None
    if run is None:
        return None
    assert state is not None and state.lanes is not None
    state.lanes.wait(run, state.session.progress if state.session else None)
    if run.error is not None:
        raise run.error
    return True


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report: pytest.TestReport = yield
    declared = item.stash.get(ITEM_REQUIREMENTS, ())
    if not declared:
        return report
    final = call.when == "call" or (call.when == "setup" and report.outcome != "passed")
    if not final:
        return report
    sink = item.stash.get(ITEM_SINK, None) or RecordSink(item.nodeid)
    records = list(sink.records)
    done = {r.requirement for r in records}
    missing = [r for r in declared if r not in done]
    error = call.excinfo.value if call.excinfo is not None else None
    if sink.deferred and call.when == "call":
        report.outcome = "failed"
        if hasattr(report, "wasxfail"):
            del report.wasxfail
        stopped = [error] if isinstance(error, RequirementFailure) else []
        report.longrepr = "\n".join(str(f) for f in [*sink.deferred, *stopped])
    if isinstance(error, (RequirementFailure, TargetUnreachable, UnsafeServer)) and report.failed \
            and not sink.deferred:
        report.longrepr = str(error)  # the requirement and its evidence say more than a traceback
    if missing and error is not None:
        if isinstance(error, RequirementFailure):
            outcome, message = Outcome.SKIP, f"not reached: the test stopped at {error.requirement}"
        elif call.excinfo.errisinstance(pytest.xfail.Exception):
            outcome, message = Outcome.SKIP, f"not reached: the test stopped at {getattr(error, 'msg', error)}"
        elif call.excinfo.errisinstance(pytest.skip.Exception):
            outcome, message = Outcome.SKIP, str(getattr(error, "msg", error))
        elif isinstance(error, (UnsafeServer, TargetUnreachable)):
            outcome, message = Outcome.ERROR, str(error)
        else:
            outcome, message = Outcome.ERROR, f"suite or transport error: {type(error).__name__}: {error}"[:500]
        records += [Record(r, outcome, item.nodeid, message) for r in missing]
    elif missing:  # the test ended normally yet never decided these: say so, never let them pass silently
        records += [Record(r, Outcome.NOT_RUN, item.nodeid, "declared by the test, which ended without deciding it")
                    for r in missing]
    report.user_properties.append((REQUIREMENTS_PROPERTY, " ".join(declared)))
    # pytest's JUnit XML takes properties from the teardown report, which copies the item's list.
    item.user_properties.append((REQUIREMENTS_PROPERTY, " ".join(declared)))
    report.user_properties.append((RECORDS_PROPERTY, json.dumps([r.to_dict() for r in records])))
    return report


class _Collector:
    """Gathers records from test reports; on pytest-xdist they arrive at the controller this way."""

    def __init__(self, state: _State) -> None:
        self.state = state
        self.batches: list[list[Record]] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for name, value in report.user_properties:
            if name == RECORDS_PROPERTY:
                self.batches.append([Record.from_dict(d) for d in json.loads(value)])
            elif name == REQUIREMENTS_PROPERTY and report.when in ("call", "setup"):
                for requirement in value.split():
                    tests = self.state.tests.setdefault(requirement, [])
                    if report.nodeid not in tests:
                        tests.append(report.nodeid)


@pytest.hookimpl(trylast=True)  # after pytest's own JUnit writer, should --junitxml name the same file
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    state = config.stash.get(STATE, None)
    collector = config.pluginmanager.get_plugin("manila-ssm-collector")
    if state is None or collector is None or hasattr(config, "workerinput"):
        return
    if (not state.active and not collector.batches) or exitstatus == pytest.ExitCode.USAGE_ERROR:
        return
    _activate(config)  # the xdist controller collects nothing itself
    state.records = [record for batch in collector.batches for record in batch]
    assert state.config is not None and state.catalogue is not None
    summary = reports.summarise(state.catalogue, state.records, state.tests)
    state.summary = summary
    context = reports.Context(
        config=state.config.redacted(),
        contract=state.catalogue.contract,
        target=state.session.endpoint.root if state.session else (state.config.base_url or "embedded reference target"),
        max_version=state.session.max_version if state.session else None,
        seed=state.config.seed,
        command=reproduce_command(config, state.config.seed),
        waited=state.session.clock.waited if state.session else 0.0,
        requests=state.session.admin.stats.requests if state.session else 0,
        http_seconds=state.session.admin.stats.seconds if state.session else 0.0,
    )
    try:
        state.written = report_files.write_all(Path(state.config.reports_dir), summary, context)
    except OSError as error:
        print(f"manila-ssm: cannot write reports to {state.config.reports_dir}: {error.strerror}", file=sys.stderr)


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(STATE, None)
    if state is not None and state.prefetch is not None:
        state.prefetch.close()
        state.prefetch = None


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = config.stash.get(STATE, None)
    if state is None or not state.active or state.summary is None or state.config is None:
        return
    write = terminalreporter.write_line
    terminalreporter.section("manila-ssm conformance")
    for line in reports.terminal_lines(state.summary):
        write(line)
    write(f"Using --ssm-seed={state.config.seed}; reproduce with: {reproduce_command(config, state.config.seed)}")
    if state.lanes is not None:
        write(lanes.summary(state.lanes))
    elif state.lane_items and state.lanes_blocked:
        write(f"lanes: the {len(state.lane_items)} lane tests ran one after another: {state.lanes_blocked}")
    for path in state.written:
        write(f"report: {path}")
    write(reports.verdict_line(state.summary))


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist: every worker uses the controller's seed."""
    state = node.config.stash[STATE]
    node.workerinput["ssm_seed"] = node.config.getoption("ssm_seed") or state.seed
