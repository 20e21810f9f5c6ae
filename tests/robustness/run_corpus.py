"""Run a shard of the corrupted-tree corpus through ``spec build`` and ``spec lint`` in this one process.

``python run_corpus.py SHARD SHARDS WORKDIR`` prints one JSON object per
command run, then one with the process's peak memory. Address space is
capped and every command has an alarm, so a variant that hangs or grows
without bound shows as a failure instead of taking the machine with it.
"""

from __future__ import annotations

import io
import json
import re
import resource
import shutil
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from corrupt_trees import variants, write_base  # noqa: E402

from manila_ssm import cli  # noqa: E402

MEMORY_LIMIT = 3 * 1024**3
SECONDS_PER_COMMAND = 30
_LOCATED = re.compile(r"^(\S[^\n]*?)(:\d+)?: (error|warning|info|note): (?:.|\n)*?\[([A-Za-z0-9-]+)\]", re.MULTILINE)
_USAGE = re.compile(r"^ssm-conformance: error: (/\S+): ", re.MULTILINE)  # a usage error naming the file


class _Timeout(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise _Timeout


def main() -> int:
    shard, shards, work = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    signal.signal(signal.SIGALRM, _alarm)
    base = work / "base"
    write_base(base)
    for index, variant in enumerate(variants()):
        if index % shards != shard:
            continue
        tree = work / f"v{index}"
        shutil.copytree(base, tree, symlinks=True)
        variant.corrupt(tree)
        for command in (["spec", "build", str(tree / "index.rst"), "-o", str(work / f"out{index}")], ["spec", "lint", str(tree / "index.rst")]):
            out, err = io.StringIO(), io.StringIO()
            start = time.perf_counter()
            signal.alarm(SECONDS_PER_COMMAND)
            try:
                code = cli.run(command, out, err)
            except _Timeout:
                code = "timeout"
            except BaseException as error:  # noqa: BLE001 - what escapes the CLI is what we look for
                code = f"escaped {type(error).__name__}: {error}"[:300]
            finally:
                signal.alarm(0)
            text = out.getvalue() + err.getvalue()
            print(json.dumps({
                "variant": variant.name, "kind": variant.kind, "expect": variant.expect, "command": command[1],
                "code": code, "seconds": round(time.perf_counter() - start, 3),
                "traceback": "Traceback" in text,
                "rules": sorted({match[3] for match in _LOCATED.findall(text)} | {"usage-error" for _ in _USAGE.findall(text)}),
                "excerpt": text[-600:],
            }), flush=True)
        shutil.rmtree(tree, ignore_errors=True)
        shutil.rmtree(work / f"out{index}", ignore_errors=True)
    print(json.dumps({"peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
