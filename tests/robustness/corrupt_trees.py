"""A fixed-seed generator of corrupted os-api-ref trees (issue 14, R6).

``variants(seed)`` yields ``Variant``s: a name, a class, the rule a finding
must name (or ``None`` when any located finding will do, or ``MAYBE_CLEAN``
for random mutations that may leave the tree valid), and a function that
corrupts a copy of the small base tree in a folder. Every class of hostile
input the issue lists is here: deep and huge values, bad encodings, lone
surrogates, special files, includes outside the tree, broken directives and
YAML, unbalanced braces in ``rest_method`` paths, empty, NUL and cut pages.

``python tests/robustness/corrupt_trees.py DIR`` writes the base tree and
prints the variant names (for looking at one by hand).
"""

from __future__ import annotations

import json
import os
import random
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

SEED = 20261202
MAYBE_CLEAN = "maybe-clean"

INDEX = """\
==========
Gizmo API
==========

.. rest_expand_all::

.. include:: gizmos.inc
.. include:: widgets.inc
"""

GIZMOS = """\
.. -*- rst -*-

=======
Gizmos
=======

List gizmos
===========

.. rest_method:: GET /v2/{project_id}/gizmos

Lists gizmos.

Response codes
--------------

.. rest_status_code:: success status.yaml

   - 200

.. rest_status_code:: error status.yaml

   - 401
   - 404

Request
-------

.. rest_parameters:: parameters.yaml

   - project_id: project_id_path
   - limit: limit

Response parameters
-------------------

.. rest_parameters:: parameters.yaml

   - gizmos: gizmos
   - name: gizmo_name

Response example
----------------

.. literalinclude:: samples/gizmos-list-response.json
   :language: javascript
"""

WIDGETS = """\
.. -*- rst -*-

========
Widgets
========

Resize a widget
===============

.. rest_method:: POST /v2/{project_id}/widgets/{widget_id}/action

Resizes a widget.

Response codes
--------------

.. rest_status_code:: success status.yaml

   - 202

.. rest_status_code:: error status.yaml

   - 400
   - 404

Request
-------

.. rest_parameters:: parameters.yaml

   - project_id: project_id_path
   - widget_id: widget_id_path
   - resize: resize
   - new_size: new_size

Request example
---------------

.. literalinclude:: samples/widget-resize-request.json
   :language: javascript
"""

PARAMETERS = """\
project_id_path:
  description: The project ID.
  in: path
  required: true
  type: string
widget_id_path:
  description: The widget ID.
  in: path
  required: true
  type: string
limit:
  description: The most gizmos to list.
  in: query
  required: false
  type: integer
gizmo_name:
  description: The name of a gizmo.
  in: body
  required: true
  type: string
gizmos:
  description: The gizmos.
  in: body
  required: true
  type: array
new_size:
  description: The new size.
  in: body
  required: true
  type: integer
resize:
  description: The resize action.
  in: body
  required: true
  type: object
"""

STATUS = """\
200:
  default: Request was successful.
202:
  default: Request is accepted.
400:
  default: Some content in the request was invalid.
401:
  default: User must authenticate before making a request.
404:
  default: The requested resource could not be found.
"""

SAMPLES = {
    "samples/gizmos-list-response.json": {"gizmos": [{"name": "alpha"}, {"name": "beta"}]},
    "samples/widget-resize-request.json": {"resize": {"new_size": 3}},
}

TEXT_FILES = {
    "index.rst": INDEX,
    "gizmos.inc": GIZMOS,
    "widgets.inc": WIDGETS,
    "parameters.yaml": PARAMETERS,
    "status.yaml": STATUS,
    **{name: json.dumps(body, indent=2) + "\n" for name, body in SAMPLES.items()},
}


def write_base(root: Path) -> None:
    """The clean base tree: two pages, two operations, two samples."""
    for name, text in TEXT_FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


@dataclass(frozen=True)
class Variant:
    name: str
    kind: str
    expect: str | None
    """The rule a finding must name; ``None``: any located finding; ``MAYBE_CLEAN``: none required."""
    corrupt: Callable[[Path], None]


def _put(name: str, data: bytes | str) -> Callable[[Path], None]:
    def corrupt(root: Path) -> None:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)
    return corrupt


def _replace(name: str, old: str, new: str) -> Callable[[Path], None]:
    def corrupt(root: Path) -> None:
        path = root / name
        text = path.read_text(encoding="utf-8")
        assert old in text, (name, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return corrupt


def _both(*steps: Callable[[Path], None]) -> Callable[[Path], None]:
    def corrupt(root: Path) -> None:
        for step in steps:
            step(root)
    return corrupt


def _fifo(name: str) -> Callable[[Path], None]:
    def corrupt(root: Path) -> None:
        path = root / name
        path.unlink(missing_ok=True)
        os.mkfifo(path)
    return corrupt


def _symlink(name: str, target: str) -> Callable[[Path], None]:
    def corrupt(root: Path) -> None:
        path = root / name
        path.unlink(missing_ok=True)
        path.symlink_to(target)
    return corrupt


def _folder(name: str) -> Callable[[Path], None]:
    def corrupt(root: Path) -> None:
        path = root / name
        path.unlink(missing_ok=True)
        path.mkdir()
    return corrupt


def _nested(depth: int, opener: str, closer: str, leaf: str = "1") -> str:
    return opener * depth + leaf + closer * depth


def _deep(rng: random.Random) -> Iterator[Variant]:
    sample = "samples/gizmos-list-response.json"
    for depth in (65, 200, 500, 999, 1000, 1500, 5000, 100000):
        yield Variant(f"sample-list-depth-{depth}", "deep", "sample-invalid-json", _put(sample, '{"gizmos": ' + _nested(depth, "[", "]") + "}"))
        yield Variant(f"sample-object-depth-{depth}", "deep", "sample-invalid-json", _put(sample, '{"gizmos": ' + _nested(depth, '{"a": ', "}") + "}"))
    for depth in (500, 1000, 5000):
        yield Variant(f"yaml-depth-{depth}", "deep", None, _put("parameters.yaml", "limit:\n  description: " + _nested(depth, "[", "]") + "\n  in: query\n  required: false\n  type: integer\n"))
        yield Variant(f"rest-parameters-depth-{depth}", "deep", None, _replace("gizmos.inc", "   - limit: limit", "   - limit: " + _nested(depth, "[", "]")))


def _huge(rng: random.Random) -> Iterator[Variant]:
    for digits in (4301, 5000, 50000):
        number = "9" * digits
        yield Variant(f"sample-integer-{digits}-digits", "huge", "sample-invalid-json", _put("samples/widget-resize-request.json", '{"resize": {"new_size": ' + number + "}}"))
        yield Variant(f"sample-negative-{digits}-digits", "huge", "sample-invalid-json", _put("samples/widget-resize-request.json", '{"resize": {"new_size": -' + number + "}}"))
        yield Variant(f"yaml-integer-{digits}-digits", "huge", None, _replace("status.yaml", "404:", number + ":"))
        yield Variant(f"yaml-field-integer-{digits}-digits", "huge", None, _replace("parameters.yaml", "  required: false\n", f"  required: false\n  max_version: {number}\n"))
    yield Variant("sample-float-overflow", "huge", MAYBE_CLEAN, _put("samples/widget-resize-request.json", '{"resize": {"new_size": 1e999999}}'))


def _encodings(rng: random.Random) -> Iterator[Variant]:
    for name in ("index.rst", "gizmos.inc", "widgets.inc", "parameters.yaml", "status.yaml", *SAMPLES):
        text = TEXT_FILES[name].encode("utf-8")
        yield Variant(f"latin1-{name}", "encoding", "source-encoding", _put(name, text.replace(b"e", b"\xe9", 3)))
        yield Variant(f"utf16-{name}", "encoding", "source-encoding", _put(name, TEXT_FILES[name].encode("utf-16")))
        for index in range(3):
            at = rng.randrange(len(text))
            bad = bytes([rng.choice([0x80, 0xBF, 0xC0, 0xC1, 0xF5, 0xFF, 0xFE, 0xED])])
            yield Variant(f"bad-byte-{index}-{name}", "encoding", "source-encoding", _put(name, text[:at] + bad + text[at:]))
        yield Variant(f"cesu-surrogate-{name}", "encoding", "source-encoding", _put(name, text + b"\xed\xa0\x80\n"))


def _surrogates(rng: random.Random) -> Iterator[Variant]:
    for escape in ("\\ud800", "\\udfff", "\\udbff", "x\\ud83d"):
        yield Variant(f"sample-value-surrogate-{escape[-4:]}", "surrogate", "sample-invalid-json", _put("samples/gizmos-list-response.json", '{"gizmos": [{"name": "' + escape + '"}]}'))
        yield Variant(f"sample-key-surrogate-{escape[-4:]}", "surrogate", "sample-invalid-json", _put("samples/widget-resize-request.json", '{"resize": {"' + escape + '": 3}}'))
        yield Variant(f"yaml-surrogate-{escape[-4:]}", "surrogate", None, _replace("parameters.yaml", "description: The new size.", f'description: "The new size {escape}."'))
        yield Variant(f"status-surrogate-{escape[-4:]}", "surrogate", None, _replace("status.yaml", "default: Request is accepted.", f'default: "Accepted {escape}"'))


def _special(rng: random.Random) -> Iterator[Variant]:
    for device in ("/dev/zero", "/dev/urandom", "/dev/null", "/dev/stdin", "/proc/self/mem"):
        yield Variant(f"literalinclude-{device}", "special", None, _replace("gizmos.inc", "samples/gizmos-list-response.json", device))
        yield Variant(f"include-{device}", "special", None, _replace("index.rst", ".. include:: widgets.inc", f".. include:: {device}"))
        expect = None if device.startswith("/proc") else "source-not-regular"  # /proc files stat as regular
        yield Variant(f"symlink-sample-to-{device}", "special", expect, _symlink("samples/gizmos-list-response.json", device))
    for name in ("samples/gizmos-list-response.json", "widgets.inc", "parameters.yaml", "status.yaml"):
        yield Variant(f"fifo-{name}", "special", "source-not-regular", _fifo(name))
        yield Variant(f"folder-{name}", "special", "source-not-regular", _folder(name))
    yield Variant("fifo-index", "special", None, _fifo("index.rst"))
    yield Variant("sample-over-size-limit", "special", "source-too-large", _put("samples/gizmos-list-response.json", b'{"gizmos": "' + b"a" * (9 * 1024 * 1024) + b'"}'))
    yield Variant("page-over-size-limit", "special", "source-too-large", _put("widgets.inc", b"Widgets\n=======\n\n" + b"text " * (2 * 1024 * 1024)))


def _outside(rng: random.Random) -> Iterator[Variant]:
    def outside_file(root: Path) -> None:
        (root.parent / f"{root.name}-outside.inc").write_text(WIDGETS, encoding="utf-8")
        (root.parent / f"{root.name}-outside.json").write_text('{"resize": {"new_size": 1}}', encoding="utf-8")
        (root.parent / f"{root.name}-outside.yaml").write_text(PARAMETERS, encoding="utf-8")
    relative = "../{name}-outside"
    for kind, page, old, suffix in (
        ("include", "index.rst", ".. include:: widgets.inc", ".inc"),
        ("literalinclude", "widgets.inc", "samples/widget-resize-request.json", ".json"),
        ("rest_parameters", "widgets.inc", ".. rest_parameters:: parameters.yaml", ".yaml"),
    ):
        def corrupt(root: Path, page: str = page, old: str = old, suffix: str = suffix, kind: str = kind) -> None:
            outside_file(root)
            new = relative.format(name=root.name) + suffix
            text = (root / page).read_text(encoding="utf-8")
            replacement = f".. include:: {new}" if kind == "include" else (f".. rest_parameters:: {new}" if kind == "rest_parameters" else new)
            (root / page).write_text(text.replace(old, replacement, 1), encoding="utf-8")
        yield Variant(f"{kind}-dotdot-outside", "outside", "source-outside-tree", corrupt)
        for target in ("/etc/passwd", "/etc/hostname", "../../../../../../etc/passwd", "/../etc/passwd"):
            replacement = f".. include:: {target}" if kind == "include" else (f".. rest_parameters:: {target}" if kind == "rest_parameters" else target)
            expect = "source-outside-tree" if ".." in target else None
            yield Variant(f"{kind}-{target.replace('/', '_')}", "outside", expect, _replace(page, old, replacement))
    yield Variant("include-symlink-escaping", "outside", None, _both(_symlink("escape.inc", "/etc/passwd"), _replace("index.rst", ".. include:: widgets.inc", ".. include:: escape.inc")))


def _directives(rng: random.Random) -> Iterator[Variant]:
    page = GIZMOS
    targeted = [
        ("rest-method-no-path", ".. rest_method:: GET /v2/{project_id}/gizmos", ".. rest_method::"),
        ("rest-method-no-method", ".. rest_method:: GET /v2/{project_id}/gizmos", ".. rest_method:: /v2/{project_id}/gizmos"),
        ("rest-method-garbage", ".. rest_method:: GET /v2/{project_id}/gizmos", ".. rest_method:: ÿÿ \x01\x02"),
        ("status-code-one-argument", ".. rest_status_code:: success status.yaml", ".. rest_status_code:: success"),
        ("status-code-not-number", "   - 200", "   - two hundred"),
        ("status-code-huge", "   - 200", "   - " + "9" * 5000),
        ("parameters-no-file", ".. rest_parameters:: parameters.yaml", ".. rest_parameters::"),
        ("parameters-not-a-list", "   - limit: limit", "   limit: [unclosed"),
        ("parameters-tab", "   - limit: limit", "   -\tlimit: limit"),
        ("literalinclude-no-file", ".. literalinclude:: samples/gizmos-list-response.json", ".. literalinclude::"),
        ("literalinclude-missing", "samples/gizmos-list-response.json", "samples/nothing.json"),
        ("unknown-directive", ".. rest_expand_all::", ".. rest_nonsense:: x"),
        ("directive-flattened", "   - 200", "- 200"),
        ("title-overline-short", "=======\nGizmos\n=======", "===\nGizmos\n======="),
        ("include-self", ".. -*- rst -*-", ".. include:: gizmos.inc"),
        ("option-garbage", "   :language: javascript", "   :language javascript :::"),
        ("nul-in-directive", ".. rest_method:: GET", ".. rest_method:: G\x00ET"),
    ]
    for name, old, new in targeted:
        clean = name in ("option-garbage", "parameters-tab", "title-overline-short")  # docutils and YAML accept these
        yield Variant(f"directive-{name}", "directive", MAYBE_CLEAN if clean else None, _replace("gizmos.inc" if old in page else "index.rst", old, new))
    lines = page.splitlines(keepends=True)
    for index in range(70):
        mutated = list(lines)
        action = rng.choice(["delete", "duplicate", "dedent", "indent", "swap", "truncate"])
        at = rng.randrange(len(mutated))
        if action == "delete":
            del mutated[at]
        elif action == "duplicate":
            mutated.insert(at, mutated[at])
        elif action == "dedent":
            mutated[at] = mutated[at].lstrip(" ")
        elif action == "indent":
            mutated[at] = "  " + mutated[at]
        elif action == "swap":
            other = rng.randrange(len(mutated))
            mutated[at], mutated[other] = mutated[other], mutated[at]
        else:
            mutated[at] = mutated[at][: rng.randrange(len(mutated[at]) + 1)]
        yield Variant(f"page-mutation-{index}-{action}-line-{at + 1}", "directive", MAYBE_CLEAN, _put("gizmos.inc", "".join(mutated)))


def _yaml(rng: random.Random) -> Iterator[Variant]:
    junk = [":", "[", "{", "- ", "\t", "&a", "*a", "!!python/object:os.system ", "? ", "|", ">", "'", '"', "%", "@", "`", "\x00"]
    for name, text in (("parameters.yaml", PARAMETERS), ("status.yaml", STATUS)):
        for index in range(30):
            at = rng.randrange(len(text))
            piece = rng.choice(junk)
            cut = rng.random() < 0.3
            mutated = text[:at] + piece + (text[at + 1:] if cut else text[at:])
            yield Variant(f"yaml-{name}-{index}", "yaml", MAYBE_CLEAN, _put(name, mutated))
        yield Variant(f"yaml-{name}-empty", "yaml", MAYBE_CLEAN, _put(name, ""))
        yield Variant(f"yaml-{name}-list", "yaml", None, _put(name, "- a\n- b\n"))
        yield Variant(f"yaml-{name}-scalar", "yaml", None, _put(name, "just text\n"))
        yield Variant(f"yaml-{name}-python-tag", "yaml", None, _put(name, "x: !!python/object/apply:os.system ['true']\n"))
        yield Variant(f"yaml-{name}-anchors", "yaml", None, _put(name, "a: &a [1, 2, 3]\nb: &b [*a, *a, *a, *a]\nc: &c [*b, *b, *b, *b]\nd: [*c, *c, *c, *c]\n"))
        yield Variant(f"yaml-{name}-nul", "yaml", None, _put(name, text.replace("\n", "\x00\n", 2)))
    for index in range(15):
        text = json.dumps(SAMPLES["samples/widget-resize-request.json"])
        at = rng.randrange(len(text))
        yield Variant(f"sample-json-mutation-{index}", "yaml", MAYBE_CLEAN, _put("samples/widget-resize-request.json", text[:at] + rng.choice(junk) + text[at + 1:]))


def _braces(rng: random.Random) -> Iterator[Variant]:
    for path in ("/v2/{project_id/gizmos", "/v2/project_id}/gizmos", "/v2/{project_id}}/gizmos", "/v2/{{project_id}/gizmos",
                 "/v2/{}/gizmos", "/v2/{project_id}/gizmos/{", "/v2/}{/gizmos", "/v2/{a{b}c}/gizmos", "/v2/{project_id}/gizmos/{!r}", "/v2/{0}/gizmos"):
        yield Variant(f"braces-{path}", "braces", None, _replace("gizmos.inc", "GET /v2/{project_id}/gizmos", f"GET {path}"))


def _pages(rng: random.Random) -> Iterator[Variant]:
    for name in ("gizmos.inc", "widgets.inc"):
        text = TEXT_FILES[name]
        first = text.index(".. rest_method::")
        yield Variant(f"empty-{name}", "page", "page-no-operation", _put(name, ""))
        yield Variant(f"nul-{name}", "page", None, _put(name, b"\x00" * 4096))
        yield Variant(f"whitespace-{name}", "page", "page-no-operation", _put(name, "\n\n   \n"))
        for cut in sorted({first, first - 1, *(rng.randrange(first) for _ in range(4))}):
            yield Variant(f"cut-{name}-at-{cut}", "page", "page-no-operation", _put(name, text[:cut]))
        for index in range(6):
            cut = rng.randrange(first, len(text))
            yield Variant(f"truncated-{name}-at-{cut}-{index}", "page", MAYBE_CLEAN, _put(name, text[:cut]))
    yield Variant("empty-index", "page", None, _put("index.rst", ""))
    yield Variant("nul-index", "page", None, _put("index.rst", "\x00" * 1000))
    yield Variant("index-only-title", "page", None, _put("index.rst", "=====\nTitle\n=====\n"))


CLASSES = (_deep, _huge, _encodings, _surrogates, _special, _outside, _directives, _yaml, _braces, _pages)


def variants(seed: int = SEED) -> list[Variant]:
    """Every variant, in a fixed order for a fixed seed."""
    rng = random.Random(seed)
    found = [variant for make in CLASSES for variant in make(rng)]
    names = [variant.name for variant in found]
    assert len(names) == len(set(names)), "variant names must be unique"
    return found


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "corrupt-base")
    write_base(target)
    for variant in variants():
        print(variant.kind, variant.name, variant.expect or "")
