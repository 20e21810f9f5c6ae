"""The committed files under spec/ are exactly what `ssm-conformance spec build` writes."""

from __future__ import annotations

import difflib
import json

import pytest

from manila_ssm import jsonio, paths
from manila_ssm.builder.contracts import DOCUMENTED, EFFECTIVE
from manila_ssm.builder.generate import committed, expected

REGENERATE = "run `ssm-conformance spec build` and commit the result"


def _diff(name: str, want: object, have: object) -> str:
    lines = difflib.unified_diff(
        jsonio.dumps(have).splitlines(), jsonio.dumps(want).splitlines(), f"committed spec/{name}", f"built spec/{name}", lineterm="", n=2
    )
    return "\n".join(list(lines)[:80])


@pytest.mark.parametrize("contract", [EFFECTIVE, DOCUMENTED])
def test_committed_artifacts_are_fresh(contract: str) -> None:
    generated = expected((contract,))
    if contract in generated.skipped:
        pytest.skip("../shared (the upstream api-ref page) is absent; the documented contract cannot be rebuilt")
    have = committed(contract)
    missing = sorted(set(generated.files) - set(have))
    extra = sorted(set(have) - set(generated.files))
    assert not missing and not extra, f"files missing: {missing}, files no build makes: {extra}; {REGENERATE}"
    stale = [_diff(name, generated.files[name], have[name]) for name in sorted(have) if have[name] != generated.files[name]]
    assert not stale, f"stale generated files; {REGENERATE}:\n" + "\n".join(stale)


def test_committed_files_are_written_canonically() -> None:
    root = paths.spec_dir()
    for path in [*root.glob("openapi/*.json"), *root.glob("schemas/*/*.json")]:
        text = path.read_text(encoding="utf-8")
        assert text == jsonio.dumps(json.loads(text)), f"{path} is not in jsonio's canonical form; {REGENERATE}"


@pytest.mark.parametrize("contract", [EFFECTIVE, DOCUMENTED])
def test_schema_files_are_named_and_identified_by_contract_action_and_role(contract: str) -> None:
    names = sorted(path.name for path in (paths.spec_dir() / "schemas" / contract).glob("*.json"))
    expected_names = sorted(
        f"{action}.{role}.json"
        for action in ("migration_check", "migration_start", "migration_complete", "migration_get_progress", "migration_cancel")
        for role in ("request", "response")
        if not (role == "response" and action in ("migration_start", "migration_cancel"))
    )
    assert names == expected_names
    for name in names:
        schema = json.loads((paths.spec_dir() / "schemas" / contract / name).read_text(encoding="utf-8"))
        action, role, _ = name.split(".")
        assert schema["$id"] == f"urn:manila-ssm:schema:{contract}:{action}:{role}"
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
