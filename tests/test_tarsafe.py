"""A git archive unpacks the same with tarfile's filters and without them (Python before 3.11.4)."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from manila_ssm import tarsafe


def _archive() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in (("api-ref/index.rst", b"Title\n=====\n"), ("../outside.txt", b"no")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("api-ref/escape")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
    return buffer.getvalue()


@pytest.mark.parametrize("filters", [True, False], ids=["with-filters", "python-3.11.2"])
def test_files_inside_unpack_and_nothing_escapes(tmp_path: Path, monkeypatch, filters: bool) -> None:
    if not filters:
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    into = tmp_path / "tree"
    into.mkdir()
    with tarfile.open(fileobj=io.BytesIO(_archive())) as tar:
        try:
            tarsafe.extract(tar, into)
        except tarfile.FilterError:  # the data filter refuses the whole archive for its bad members
            assert filters
    assert not (tmp_path / "outside.txt").exists()
    assert not (into / "api-ref" / "escape").is_symlink()
    if not filters:
        assert (into / "api-ref" / "index.rst").read_bytes() == b"Title\n=====\n"
