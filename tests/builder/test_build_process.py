"""What one `spec build` leaves in the process: the cycle collector running again, whatever the outcome."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from manila_ssm import paths
from ssm_testing import run_cli as run


@pytest.mark.parametrize("cache", ["off", "folder"])
def test_a_build_leaves_the_cycle_collector_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache: str) -> None:
    monkeypatch.setenv("SSM_BUILD_CACHE", "off" if cache == "off" else str(tmp_path / "cache"))
    page = paths.spec_dir() / "api-ref" / "share-server-migration.inc"
    assert gc.isenabled()
    for _ in range(2):  # the second is answered by the cache when there is one
        code, _, err = run("spec", "build", str(page), "-o", str(tmp_path / "out"))
        assert code in (0, 1), err
        assert gc.isenabled()


def test_a_failing_build_leaves_the_cycle_collector_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSM_BUILD_CACHE", "off")
    page = tmp_path / "page.inc"
    page.write_text("Title\n=====\n\n.. rest_method:: GET /v2/x\n\n.. rest_parameters:: missing.yaml\n\n   - a: b\n", encoding="utf-8")
    code, _, err = run("spec", "build", str(page), "-o", str(tmp_path / "out"))
    assert code == 1 and "missing.yaml" in err
    assert gc.isenabled()
