"""The parser's public surface, its rule catalogue, and that parses share no state."""

from __future__ import annotations

from pathlib import Path

import pytest
from docutils.core import publish_doctree
from docutils.parsers.rst import directives, roles

import manila_ssm.apiref
from manila_ssm.apiref import load_parameters, load_status_codes, parse, rules
from manila_ssm.apiref._directives import DIRECTIVES, ROLES
from manila_ssm.errors import Location, Severity, SpecError
from manila_ssm.paths import shared_dir

CASES = Path(__file__).parent / "cases"


def test_public_names() -> None:
    assert sorted(manila_ssm.apiref.__all__) == [
        "PageCache",
        "RULES",
        "Rule",
        "StatusDef",
        "load_parameters",
        "load_status_codes",
        "parse",
    ]


def test_rule_catalogue() -> None:
    for rule_id, rule in rules.RULES.items():
        assert rule.id == rule_id
        assert rule.summary and rule.hint and isinstance(rule.severity, Severity)
    assert all(rule.severity is Severity.ERROR for rule in rules.RULES.values() if rule.fatal)
    finding = rules.finding("param-unknown-ref", Location("page.inc", 3), "no such key")
    assert (finding.severity, finding.hint) == (Severity.ERROR, rules.rule("param-unknown-ref").hint)


@pytest.mark.parametrize("bad_id", ["param-unknown-ref", "Not_Kebab", "trailing-"])
def test_register_rejects_taken_or_malformed_ids(bad_id: str) -> None:
    with pytest.raises(ValueError):
        rules.register(rules.Rule(bad_id, Severity.WARNING, "summary", "hint"))


def test_registration_does_not_outlive_a_parse() -> None:
    parse(CASES / "directives-all" / "page.inc")
    ours = {name: cls for name, cls in DIRECTIVES.items() if cls.__module__.startswith("manila_ssm")}
    assert {"rest_method", "include", "literalinclude"} <= set(ours)
    assert all(directives._directives.get(name) is not cls for name, cls in ours.items())
    assert all(roles._roles.get(name) is not role for name, role in ROLES.items())
    # Plain docutils afterwards still does not know the os-api-ref directives.
    tree = publish_doctree(".. rest_method:: GET /x\n", settings_overrides={"report_level": 5})
    assert "Unknown directive type" in tree.astext()


def test_repeated_parses_are_independent() -> None:
    first = parse(CASES / "directives-all" / "page.inc")
    again = parse(CASES / "directives-all" / "page.inc")
    assert first == again
    assert parse(CASES / "param-unknown-ref" / "page.inc").findings  # no cached table hides the defect


def test_load_parameters_raises_with_the_yaml_line(tmp_path: Path) -> None:
    broken = tmp_path / "parameters.yaml"
    broken.write_text("a:\n  in: body\n b: [\n", encoding="utf-8")
    with pytest.raises(SpecError) as raised:
        load_parameters(broken, "parameters.yaml")
    (finding,) = raised.value.findings
    assert (finding.rule_id, finding.location.file) == ("yaml-syntax", "parameters.yaml")
    assert finding.location.line == 3


def test_load_status_codes_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as raised:
        load_status_codes(tmp_path / "status.yaml")
    assert [f.rule_id for f in raised.value.findings] == ["source-missing-file"]


@pytest.mark.skipif(shared_dir() is None, reason="../shared (the seed) is not beside this checkout")
def test_seed_in_place_fails_with_flattening_and_missing_files_named() -> None:
    seed = shared_dir() / "seeds" / "share-server-migration.seed.txt"  # type: ignore[operator]
    with pytest.raises(SpecError) as raised:
        parse(seed)
    found = {(f.rule_id, str(f.location)) for f in raised.value.findings}
    assert ("directive-flattened", "share-server-migration.seed.txt:64") in found
    assert ("source-missing-file", "share-server-migration.seed.txt:54") in found  # status.yaml
    assert ("source-missing-file", "share-server-migration.seed.txt:64") in found  # parameters.yaml


def test_bom_and_crlf_from_editors_are_not_content(tmp_path: Path) -> None:
    import shutil

    case = tmp_path / "case"
    shutil.copytree(CASES / "directives-all", case)
    page = case / "page.inc"
    page.write_bytes(b"\xef\xbb\xbf" + page.read_bytes().replace(b"\n", b"\r\n"))
    sample = case / "samples" / "widget-polish-request.json"
    sample.write_bytes(b"\xef\xbb\xbf" + sample.read_bytes())
    result = parse(page)
    assert result.findings == ()
    assert [op.action for op in result.operations] == [None, "polish"]
