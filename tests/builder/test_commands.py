"""`ssm-conformance spec build` and `spec validate`: outputs, exit codes, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from manila_ssm import paths
from manila_ssm.builder.contracts import upstream_page
from manila_ssm.builder.generate import committed
from manila_ssm.builder.normative import normative
from ssm_testing import run_cli as run

INPUTS = Path(__file__).parent / "cli-inputs"


def test_build_without_source_writes_both_contracts_like_the_committed_ones(tmp_path: Path) -> None:
    code, out, err = run("spec", "build", "-o", str(tmp_path))
    assert code == 0, err
    for contract in ("effective", "documented"):
        for name, document in committed(contract).items():
            if contract == "documented" or (tmp_path / name).is_file():
                assert json.loads((tmp_path / name).read_text(encoding="utf-8")) == document, name
    assert (tmp_path / "openapi/effective.json").is_file()
    assert "files up to date" in out


@pytest.mark.parametrize("source", ["share-server-migration.inc", "index.rst", "."], ids=["page", "index", "folder"])
def test_build_our_source_as_documented_equals_the_effective_contract_but_the_errata_ids(source: str, tmp_path: Path) -> None:
    folder = paths.spec_dir() / "api-ref"
    code, out, err = run("spec", "build", str(folder / source), "-o", str(tmp_path), "--contract", "documented")
    assert code == 0, err
    built = json.loads((tmp_path / "openapi/documented.json").read_text(encoding="utf-8"))
    effective = json.loads((paths.spec_dir() / "openapi/effective.json").read_text(encoding="utf-8"))
    for item in effective["paths"].values():
        for meta in item["post"]["x-ssm"]["actions"].values():
            meta["errata"] = []
    assert built == effective
    assert "5 schemas" not in out and "operations on 2 paths" in out


@pytest.mark.skipif(upstream_page() is None, reason="needs ../shared (the upstream api-ref page)")
def test_build_upstream_page_as_effective_applies_the_errata(tmp_path: Path) -> None:
    code, _, err = run("spec", "build", str(upstream_page()), "-o", str(tmp_path), "--contract", "effective")
    assert code == 0, err
    built = json.loads((tmp_path / "openapi/effective.json").read_text(encoding="utf-8"))
    effective = json.loads((paths.spec_dir() / "openapi/effective.json").read_text(encoding="utf-8"))
    assert normative(built) == normative(effective)


def test_validate_without_arguments_passes_on_the_committed_spec() -> None:
    code, out, err = run("spec", "validate")
    assert code == 0, err
    assert "0 input errors, 0 findings" in out


@pytest.mark.parametrize(
    ("argv", "code", "expected"),
    [
        (["spec", "validate", "no/such/file.json"], 2, "no/such/file.json: error: no such file"),
        (["spec", "validate", str(INPUTS / "invalid-json.json")], 2, "invalid-json.json:4: error: invalid JSON"),
        (["spec", "validate", str(INPUTS / "invalid-openapi.json")], 2, "invalid OpenAPI"),
        (["spec", "validate", str(INPUTS / "invalid-schema.json")], 2, "invalid JSON Schema"),
        (["spec", "validate", str(INPUTS / "not-a-contract.json")], 2, "neither an OpenAPI document"),
        (["spec", "validate", str(INPUTS / "openapi-bad-example.json")], 1, "example 'wrong'"),
        (["spec", "build", "no/such/page.inc"], 2, "no/such/page.inc: no such file or folder"),
        (["spec", "build", "--options", str(INPUTS / "invalid-json.json")], 2, "invalid-json.json:4: error: malformed YAML"),
        (["spec", "build", "--options", str(INPUTS / "not-a-contract.json")], 2, "unknown build option 'hello'"),
        (["spec", "build", "--contract", "nonsense"], 2, "invalid choice"),
    ],
    ids=["missing", "invalid-json", "invalid-openapi", "invalid-schema", "unknown-kind", "bad-example", "missing-source", "bad-options-yaml", "bad-options-key", "bad-contract"],
)
def test_bad_input_gets_a_clear_message_and_no_traceback(argv: list[str], code: int, expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    got, out, err = run(*argv)
    err += capsys.readouterr().err
    assert got == code
    assert expected in err
    assert "Traceback" not in err


def test_validate_checks_a_sample_against_its_effective_schema(tmp_path: Path) -> None:
    sample = paths.samples_dir() / "share-server-migration-check-request.json"
    code, _, err = run("spec", "validate", str(sample))
    assert code == 0, err


def test_without_shared_the_committed_documented_contract_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import manila_ssm.builder.generate as generate

    monkeypatch.setattr(generate, "upstream_page", lambda: None)
    code, _, err = run("spec", "build", "-o", str(tmp_path), "--contract", "documented")
    assert code == 0, err
    assert "the documented contract is not rebuilt; copied the committed one" in err
    assert json.loads((tmp_path / "openapi/documented.json").read_text(encoding="utf-8")) == committed("documented")["openapi/documented.json"]
    code, _, err = run("spec", "build", "--contract", "documented")
    assert code == 2 and "the committed spec/openapi/documented.json is what there is" in err


def test_a_source_with_errors_builds_but_exits_1(tmp_path: Path) -> None:
    page = tmp_path / "page.inc"
    page.write_text("Things\n======\n\nList things\n~~~~~~~~~~~\n\n.. rest_method:: GET /v2/things/{thing_id}\n", encoding="utf-8")
    code, out, err = run("spec", "build", str(page), "-o", str(tmp_path / "out"))
    assert code == 1
    assert "page.inc:7: error:" in err and "Traceback" not in err
    assert "a valid OpenAPI document" in out


def test_findings_in_canonical_json_files_name_the_line(tmp_path: Path) -> None:
    from manila_ssm import jsonio

    document = json.loads((INPUTS / "openapi-bad-example.json").read_text(encoding="utf-8"))
    bad = tmp_path / "bad.json"
    jsonio.write(bad, document)
    line = next(n for n, text in enumerate(jsonio.dumps(document).splitlines(), 1) if '"wrong": {' in text)
    code, _, err = run("spec", "validate", str(bad))
    assert code == 1
    assert f"bad.json:{line}: error: example 'wrong'" in err
