"""The target configuration file: a good file gives the deployment it describes; every mistake
is reported with its ``file:line`` and a fix, all of them at once.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from manila_ssm.errors import SpecError
from manila_ssm.reference import ADMIN_TOKEN, Backend, Capabilities, ReferenceTarget, TargetConfig, Timings
from manila_ssm.reference.app import MAX_BODY

GOOD = """\
backends:
  - name: lab@one
    availability_zone: az1
  - name: lab@two
    capabilities: {nondisruptive: true, preserve_snapshots: false}
share_networks:
  - name: shared
    id: 11111111-2222-3333-4444-555555555555
    availability_zones: [az1]
users:
  ops: [admin]
  "viewer:de000000000000000000000000000002": [reader]
timings: {step: 0.5, progress_step: 50}
faults:
  - {backend: lab@two, fail_at: migration_completing}
"""

# (file text, line of the first finding, fragment of its message)
BAD = [
    ("backends: {name: x}\n", 1, "backends must be a list"),
    ("backends:\n  - name: nobackend\n", 2, "is not valid"),
    ("backends:\n  - availability_zone: az1\n", 2, "needs a name"),
    ("backends:\n  - name: a@b\n    colour: red\n", 3, "unknown key 'colour'"),
    ("backends:\n  - name: a@b\n  - name: a@b\n", 3, "listed twice"),
    ("backends:\n  - name: a@b\n    capabilities: {writable: maybe}\n", 3, "must be a bool"),
    ("backends:\n  - name: a@b\n    fail_at: migration_success\n", 3, "not a task state"),
    ("timings:\n  step: fast\n", 2, "must be a float"),
    ("timings:\n  progress_step: 0\n", 2, "percentage"),
    ("faults:\n  - backend: ref@nowhere\n    down: true\n", 2, "unknown back end"),
    ("share_networks:\n  - name: n\n    project_id: admin\n", 3, "is not valid"),
    ("speed: 3\n", 1, "unknown key 'speed'"),
    ("backends: [\n", 2, "not valid YAML"),
]


def test_a_good_file_gives_its_deployment(tmp_path: Path) -> None:
    path = tmp_path / "target.yaml"
    path.write_text(GOOD, encoding="utf-8")
    config = TargetConfig.load(path)
    assert config.backends == (Backend("lab@one", availability_zone="az1"),
                               Backend("lab@two", capabilities=Capabilities(nondisruptive=True,
                                                                            preserve_snapshots=False)))
    assert config.timings == Timings(step=0.5, progress_step=50)
    assert config.roles_for("ops", "anything") == ("admin",)
    assert config.roles_for("viewer", "de000000000000000000000000000002") == ("reader",)
    assert config.roles_for("someone", "else") == ("member",)
    assert config.effective_backends()[1].fail_at == "migration_completing"
    assert config.share_networks[0].availability_zones == ("az1",)


def test_an_empty_file_is_the_default_deployment(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("", encoding="utf-8")
    assert TargetConfig.load(path) == TargetConfig.default()


@pytest.mark.parametrize(("text", "line", "fragment"), BAD, ids=[b[2] for b in BAD])
def test_mistakes_name_their_line(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        TargetConfig.load(path)
    first = caught.value.findings[0]
    assert (first.location.file, first.location.line) == (str(path), line)
    assert fragment in first.message


def test_default_deployment_is_what_the_suite_expects() -> None:
    config = TargetConfig.default()
    assert [b.name for b in config.backends] == ["ref@alpha", "ref@beta", "ref@gamma", "ref@delta"]
    assert [b.capabilities.nondisruptive for b in config.backends] == [False, False, False, True]
    assert config.roles_for("admin", "ad000000000000000000000000000001") == ("admin",)
    assert "admin" not in config.roles_for("demo", "de000000000000000000000000000002")


def test_configured_users_and_networks_are_served(tmp_path: Path) -> None:
    path = tmp_path / "target.yaml"
    path.write_text(GOOD, encoding="utf-8")
    with ReferenceTarget.start(TargetConfig.load(path)) as target:
        backends = requests.get(f"{target.base_url}/_reference/backends", headers={"X-Auth-Token": "ops:ab12"},
                                timeout=10).json()["backends"]
        assert [(b["name"], b["fail_at"]) for b in backends] == [("lab@one", None), ("lab@two", "migration_completing")]
        made = requests.post(f"{target.base_url}/_reference/share-servers", headers={"X-Auth-Token": "ops:ab12"},
                             json={"host": "lab@one", "share_network_id": "11111111-2222-3333-4444-555555555555"},
                             timeout=10)
        assert made.status_code == 201, made.text
        assert made.json()["share_server"]["share_network_id"] == "11111111-2222-3333-4444-555555555555"
        denied = requests.get(f"{target.base_url}/_reference/backends",
                              headers={"X-Auth-Token": "viewer:de000000000000000000000000000002"}, timeout=10)
        assert denied.status_code == 403


def test_a_body_over_the_size_limit_is_413(fast_api: object) -> None:
    base_url = fast_api.base_url  # type: ignore[attr-defined]
    response = requests.post(f"{base_url}/v2/share-servers/x/action", data=b"{" + b" " * MAX_BODY + b"}",
                             headers={"X-Auth-Token": ADMIN_TOKEN, "Content-Type": "application/json"}, timeout=10)
    assert response.status_code == 413


def test_the_readme_example_loads(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.partition("## Reference target")[2].partition("\n## ")[0]
    example = section.partition("```yaml\n")[2].partition("```")[0]
    filled = (example.replace("<uuid>", "11111111-2222-3333-4444-555555555555")
              .replace("<hex>", "ab12").replace("<project>", "ab12"))
    path = tmp_path / "readme.yaml"
    path.write_text(filled, encoding="utf-8")
    config = TargetConfig.load(path)
    assert config.backends[0].name == "ref@alpha" and config.faults
