"""``spec build --watch``: it builds again when a file under the tree or a file the build read changes, and only then."""

from __future__ import annotations

import io
import shutil
import types
from pathlib import Path

import pytest

from manila_ssm import cli
from manila_ssm.builder import watch as watching
from robustness.corrupt_trees import write_base


class _Clock:
    """Stands in for ``time`` in the watch loop: each sleep runs the next step, the last one is Ctrl-C."""

    def __init__(self, *steps: object) -> None:
        self.steps = list(steps)

    def sleep(self, seconds: float) -> None:
        step = self.steps.pop(0)
        if step is KeyboardInterrupt:
            raise KeyboardInterrupt
        if callable(step):
            step()

    @staticmethod
    def perf_counter() -> float:
        return 0.0


def test_it_builds_again_on_a_change_under_the_tree_or_to_a_file_it_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree, outside = tmp_path / "tree", tmp_path / "sample.json"
    tree.mkdir()
    (tree / "page.inc").write_text("one\n", encoding="utf-8")
    outside.write_text("{}\n", encoding="utf-8")
    builds: list[int] = []

    def build() -> tuple[int, list[str]]:
        builds.append(len(builds))
        return len(builds) % 2, [str(outside)]

    clock = _Clock(
        None,  # nothing changed: no build
        lambda: (tree / "page.inc").write_text("two, longer\n", encoding="utf-8"),
        None,
        lambda: outside.write_text('{"a": 1}\n', encoding="utf-8"),
        lambda: (tree / "new.inc").write_text("three\n", encoding="utf-8"),
        KeyboardInterrupt,
    )
    monkeypatch.setattr(watching, "time", types.SimpleNamespace(sleep=clock.sleep, perf_counter=clock.perf_counter))
    err = io.StringIO()
    assert watching.watch(build, tree, err, 0.01) == 0  # the last of four builds found nothing
    assert builds == [0, 1, 2, 3]
    assert err.getvalue().count("built again") == 3


def test_spec_build_watch_writes_what_a_fresh_build_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree, out = tmp_path / "tree", tmp_path / "out"
    write_base(tree)
    monkeypatch.setenv("SSM_BUILD_CACHE", str(tmp_path / "cache"))
    page = tree / "gizmos.inc"
    clock = _Clock(lambda: page.write_text(page.read_text(encoding="utf-8").replace("Lists gizmos.", "Lists every gizmo."), encoding="utf-8"),
                   KeyboardInterrupt)
    monkeypatch.setattr(watching, "time", types.SimpleNamespace(sleep=clock.sleep, perf_counter=clock.perf_counter))
    stdout, stderr = io.StringIO(), io.StringIO()
    code = cli.run(["spec", "build", str(tree / "index.rst"), "-o", str(out), "--watch", "--interval", "0.01"], stdout, stderr)
    assert stdout.getvalue().count("operations on") == 2 and "built again" in stderr.getvalue()
    watched = {p.relative_to(out).as_posix(): p.read_text(encoding="utf-8") for p in out.rglob("*.json")}
    assert "Lists every gizmo." in watched["openapi/documented.json"]
    monkeypatch.setenv("SSM_BUILD_CACHE", "off")
    fresh = tmp_path / "fresh"
    assert cli.run(["spec", "build", str(tree / "index.rst"), "-o", str(fresh)], io.StringIO(), io.StringIO()) == code
    assert {p.relative_to(fresh).as_posix(): p.read_text(encoding="utf-8") for p in fresh.rglob("*.json")} == watched


@pytest.mark.parametrize("argv", [["--watch"], ["TREE", "--watch", "--interval", "0"], ["TREE", "--watch", "--interval", "soon"]])
def test_watch_usage_errors(argv: list[str], tmp_path: Path) -> None:
    write_base(tmp_path / "tree")
    argv = [str(tmp_path / "tree") if word == "TREE" else word for word in argv]
    with pytest.raises(SystemExit) as exit_:
        code = cli.run(["spec", "build", *argv], io.StringIO(), io.StringIO())
        raise SystemExit(code)
    assert exit_.value.code == 2
