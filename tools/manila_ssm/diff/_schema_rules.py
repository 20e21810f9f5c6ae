"""Rules about the fields of request and response bodies (one matched field pair each)."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from manila_ssm.diff._fields import FieldPair, accepts_all_of, json_types
from manila_ssm.diff._registry import Draft, rule
from manila_ssm.diff._endpoint_rules import above_known
from manila_ssm.diff._surface import stated_version, version_tuple


def _props_pointer(pair: FieldPair, side: str) -> str:
    return f"{(pair.old if side == 'old' else pair.new).pointer}/properties"


def _fmt(types: frozenset[str]) -> str:
    return "|".join(sorted(types)) or "any"


# --- request bodies: what the server accepts must not shrink -------------------------


@rule("request-field-required-added", breaking=True, scope="request",
      summary="A request field is required that was optional or absent: old requests are refused.")
def request_field_required_added(pair: FieldPair) -> Iterator[Draft]:
    old_props, new_props = pair.properties("old"), pair.properties("new")
    for name in sorted(pair.required("new") - pair.required("old")):
        before = old_props.get(name)
        state = "optional" if before else "absent"
        yield Draft(f"request field {pair.child(name)}", f"request field {pair.child(name)} is now required (was {state})",
                    before.pointer if before else _props_pointer(pair, "old"),
                    new_props[name].pointer if name in new_props else f"{pair.new.pointer}/required")


@rule("request-field-optional", breaking=False, scope="request",
      summary="A required request field became optional.")
def request_field_optional(pair: FieldPair) -> Iterator[Draft]:
    old_props, new_props = pair.properties("old"), pair.properties("new")
    for name in sorted(pair.required("old") - pair.required("new")):
        if name in new_props:
            yield Draft(f"request field {pair.child(name)}", f"request field {pair.child(name)} is now optional",
                        old_props[name].pointer if name in old_props else f"{pair.old.pointer}/required",
                        new_props[name].pointer)


@rule("request-field-added", breaking=False, scope="request",
      summary="A new optional request field.")
def request_field_added(pair: FieldPair) -> Iterator[Draft]:
    old_props, required = pair.properties("old"), pair.required("new")
    for name, node in pair.properties("new").items():
        if name not in old_props and name not in required:
            yield Draft(f"request field {pair.child(name)}", f"optional request field {pair.child(name)} was added",
                        _props_pointer(pair, "old"), node.pointer)


@rule("request-field-removed", breaking=False, scope="request",
      summary="A request field is no longer documented; clients sending it are unaffected unless "
              "extra fields are forbidden (`request-extra-fields-forbidden`).")
def request_field_removed(pair: FieldPair) -> Iterator[Draft]:
    new_props = pair.properties("new")
    for name, node in pair.properties("old").items():
        if name not in new_props:
            yield Draft(f"request field {pair.child(name)}", f"request field {pair.child(name)} was removed",
                        node.pointer, _props_pointer(pair, "new"))


@rule("request-extra-fields-forbidden", breaking=True, scope="request",
      summary="`additionalProperties: false` appeared: requests with undocumented fields are refused.")
def request_extra_fields_forbidden(pair: FieldPair) -> Iterator[Draft]:
    if pair.new.schema.get("additionalProperties") is False and pair.old.schema.get("additionalProperties") is not False:
        yield Draft(f"request field {pair.label}", f"request object {pair.label} no longer accepts undocumented fields",
                    pair.old.pointer, f"{pair.new.pointer}/additionalProperties")


@rule("request-extra-fields-allowed", breaking=False, scope="request",
      summary="`additionalProperties: false` went away.")
def request_extra_fields_allowed(pair: FieldPair) -> Iterator[Draft]:
    if pair.old.schema.get("additionalProperties") is False and pair.new.schema.get("additionalProperties") is not False:
        yield Draft(f"request field {pair.label}", f"request object {pair.label} now accepts undocumented fields",
                    f"{pair.old.pointer}/additionalProperties", pair.new.pointer)


@rule("request-type-narrowed", breaking=True, scope="request",
      summary="A request field accepts fewer JSON types (`boolean` or `string` to `boolean`; `number` to `integer`).")
def request_type_narrowed(pair: FieldPair) -> Iterator[Draft]:
    old, new = pair.types("old"), pair.types("new")
    if old != new and not accepts_all_of(new, old):
        yield Draft(f"request field {pair.label}", f"request field {pair.label} type {_fmt(old)} became {_fmt(new)}",
                    pair.old.pointer, pair.new.pointer)


@rule("request-type-widened", breaking=False, scope="request",
      summary="A request field accepts every type it did, and more.")
def request_type_widened(pair: FieldPair) -> Iterator[Draft]:
    old, new = pair.types("old"), pair.types("new")
    if old != new and accepts_all_of(new, old):
        yield Draft(f"request field {pair.label}", f"request field {pair.label} type {_fmt(old)} became {_fmt(new)}",
                    pair.old.pointer, pair.new.pointer)


def _enum(pair: FieldPair, side: str) -> list[object] | None:
    node = pair.old if side == "old" else pair.new
    values = node.schema.get("enum")
    return list(values) if isinstance(values, list) else None


@rule("request-enum-narrowed", breaking=True, scope="request",
      summary="A request field's `enum` lost values (or an `enum` appeared).")
def request_enum_narrowed(pair: FieldPair) -> Iterator[Draft]:
    old, new = _enum(pair, "old"), _enum(pair, "new")
    if new is not None and (old is None or any(v not in new for v in old)):
        lost = "any value" if old is None else ", ".join(repr(v) for v in old if v not in new)
        yield Draft(f"request field {pair.label}", f"request field {pair.label} no longer accepts {lost}",
                    pair.old.pointer, f"{pair.new.pointer}/enum")


@rule("request-enum-widened", breaking=False, scope="request",
      summary="A request field's `enum` gained values (or went away).")
def request_enum_widened(pair: FieldPair) -> Iterator[Draft]:
    old, new = _enum(pair, "old"), _enum(pair, "new")
    if old is not None and (new is None or (all(v in new for v in old) and len(new) > len(old))):
        gained = "any value" if new is None else ", ".join(repr(v) for v in new if v not in old)
        yield Draft(f"request field {pair.label}", f"request field {pair.label} now also accepts {gained}",
                    f"{pair.old.pointer}/enum", pair.new.pointer)


# --- response bodies: what clients read must stay -------------------------------------


def _renames(pair: FieldPair) -> dict[str, str]:
    """old name -> new name, when exactly one field left and one of the same type arrived."""
    old_props, new_props = pair.properties("old"), pair.properties("new")
    gone = [n for n in old_props if n not in new_props]
    came = [n for n in new_props if n not in old_props]
    if len(gone) == 1 and len(came) == 1:
        # a rename keeps the type and most of the name (``share_type`` -> ``share_type_name``);
        # one field dropped and an unrelated one added are a removal and an addition
        similar = difflib.SequenceMatcher(None, gone[0], came[0]).ratio() >= 0.6
        if similar and json_types(old_props[gone[0]].schema) == json_types(new_props[came[0]].schema):
            return {gone[0]: came[0]}
    return {}


@rule("response-field-removed", breaking=True, scope="response",
      summary="A response field is gone: clients reading it break.")
def response_field_removed(pair: FieldPair) -> Iterator[Draft]:
    new_props, renamed = pair.properties("new"), _renames(pair)
    for name, node in pair.properties("old").items():
        if name not in new_props and name not in renamed and name not in pair.placed_elsewhere:
            yield Draft(f"response field {pair.child(name)}", f"response field {pair.child(name)} was removed",
                        node.pointer, _props_pointer(pair, "new"))


@rule("response-field-placed", breaking=False, scope="response",
      summary="A response field the old document listed with no example of the body (an api-ref's parameter "
              "tables are flat; only a sample shows where a field sits) is elsewhere in the new body, "
              "which has one: the page now shows where it always was.")
def response_field_placed(pair: FieldPair) -> Iterator[Draft]:
    new_props, renamed = pair.properties("new"), _renames(pair)
    for name, node in pair.properties("old").items():
        if name not in new_props and name not in renamed and name in pair.placed_elsewhere:
            yield Draft(f"response field {pair.child(name)}",
                        f"response field {pair.child(name)} is shown elsewhere in the body by the new example",
                        node.pointer, _props_pointer(pair, "new"))


@rule("response-field-renamed", breaking=True, scope="response",
      summary="A response field was replaced by one of another name and the same type.")
def response_field_renamed(pair: FieldPair) -> Iterator[Draft]:
    old_props, new_props = pair.properties("old"), pair.properties("new")
    for was, now in _renames(pair).items():
        yield Draft(f"response field {pair.child(was)}",
                    f"response field {pair.child(was)} was renamed to {pair.child(now)}",
                    old_props[was].pointer, new_props[now].pointer)


@rule("response-field-added", breaking=False, scope="response",
      summary="A new response field; clients ignore what they do not read.")
def response_field_added(pair: FieldPair) -> Iterator[Draft]:
    old_props, renamed = pair.properties("old"), set(_renames(pair).values())
    for name, node in pair.properties("new").items():
        if name not in old_props and name not in renamed:
            yield Draft(f"response field {pair.child(name)}", f"response field {pair.child(name)} was added",
                        _props_pointer(pair, "old"), node.pointer)


@rule("response-type-changed", breaking=True, scope="response",
      summary="A response field's JSON type changed either way: clients parse the old type.")
def response_type_changed(pair: FieldPair) -> Iterator[Draft]:
    old, new = pair.types("old"), pair.types("new")
    if old and new and old != new:
        yield Draft(f"response field {pair.label}", f"response field {pair.label} type {_fmt(old)} became {_fmt(new)}",
                    pair.old.pointer, pair.new.pointer)


# --- fields of either body: microversion ranges --------------------------------------


def _field_floor(pair: FieldPair, side: str) -> str | None:
    """The field's floor as data, else as its description states it ("(Since API v2.11) ..."):
    a floor that moved from the words into ``min_version`` changed nothing a client was told."""
    if not pair.field:  # the body itself: its range is the action's or operation's (min-version-*)
        return None
    node = pair.old if side == "old" else pair.new
    value = (node.schema.get("x-openstack") or {}).get("min-ver")
    return str(value) if value is not None else stated_version([str(node.schema.get("description") or "")])


@rule("field-min-version-raised", breaking=True, scope=("request", "response"),
      summary="A body field's microversion floor went up: clients at the old floor lose it.")
def field_min_version_raised(pair: FieldPair) -> Iterator[Draft]:
    old, new = _field_floor(pair, "old"), _field_floor(pair, "new")
    if new is not None and (old is None or version_tuple(new) > version_tuple(old)):
        what = f"{pair.body} field {pair.label}"
        yield Draft(what, f"{what} minimum microversion {old or 'none'} became {new}",
                    pair.old.pointer, f"{pair.new.pointer}/x-openstack/min-ver")


@rule("field-min-version-lowered", breaking=False, scope=("request", "response"),
      summary="A body field's microversion floor went down or was dropped.")
def field_min_version_lowered(pair: FieldPair) -> Iterator[Draft]:
    old, new = _field_floor(pair, "old"), _field_floor(pair, "new")
    if old is not None and (new is None or version_tuple(new) < version_tuple(old)):
        what = f"{pair.body} field {pair.label}"
        yield Draft(what, f"{what} minimum microversion {old} became {new or 'none'}",
                    f"{pair.old.pointer}/x-openstack/min-ver", pair.new.pointer)


def _field_ceiling(pair: FieldPair, side: str) -> str | None:
    if not pair.field:
        return None
    node = pair.old if side == "old" else pair.new
    value = (node.schema.get("x-openstack") or {}).get("max-ver")
    return None if value is None else str(value)


@rule("field-max-version-lowered", breaking=True, scope=("request", "response"),
      summary="A body field's microversion ceiling appeared or went down: clients above it lose it.")
def field_max_version_lowered(pair: FieldPair) -> Iterator[Draft]:
    old, new = _field_ceiling(pair, "old"), _field_ceiling(pair, "new")
    if _lowered(old, new) and not above_known(new, pair.old_resolver.known_version):
        what = f"{pair.body} field {pair.label}"
        yield Draft(what, f"{what} maximum microversion {old or 'none'} became {new}",
                    pair.old.pointer, f"{pair.new.pointer}/x-openstack/max-ver")


def _lowered(old: str | None, new: str | None) -> bool:
    return new is not None and (old is None or version_tuple(new) < version_tuple(old))


@rule("field-max-version-at-new-microversion", breaking=False, scope=("request", "response"),
      summary="A body field's microversion ceiling appeared at or above the highest microversion the old "
              "document knew: the field leaves only at newer microversions.")
def field_max_version_at_new_microversion(pair: FieldPair) -> Iterator[Draft]:
    old, new = _field_ceiling(pair, "old"), _field_ceiling(pair, "new")
    known = pair.old_resolver.known_version
    if _lowered(old, new) and above_known(new, known):
        what = f"{pair.body} field {pair.label}"
        yield Draft(what, f"{what} maximum microversion {new} appeared (the old document knew microversions "
                    f"up to {known})", pair.old.pointer, f"{pair.new.pointer}/x-openstack/max-ver")


@rule("field-max-version-raised", breaking=False, scope=("request", "response"),
      summary="A body field's microversion ceiling went up or was lifted.")
def field_max_version_raised(pair: FieldPair) -> Iterator[Draft]:
    old, new = _field_ceiling(pair, "old"), _field_ceiling(pair, "new")
    if old is not None and (new is None or version_tuple(new) > version_tuple(old)):
        what = f"{pair.body} field {pair.label}"
        yield Draft(what, f"{what} maximum microversion {old} became {new or 'none'}",
                    f"{pair.old.pointer}/x-openstack/max-ver", pair.new.pointer)
