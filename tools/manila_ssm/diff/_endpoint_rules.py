"""Rules about operations, actions, status codes, microversions and parameters."""

from __future__ import annotations

from collections.abc import Iterator

from manila_ssm.diff._registry import Draft, rule
from manila_ssm.diff._surface import Endpoint, Operation, operation_key, version_tuple

def _actions(operation: Operation) -> str:
    names = [a for a in operation.endpoints if a is not None]
    return f" (actions: {', '.join(sorted(names))})" if names else ""


@rule("operation-removed", breaking=True, scope="document",
      summary="An operation (method and path) is gone: its clients get 404 or 405.")
def operation_removed(old: Operation | None, new: Operation | None) -> Iterator[Draft]:
    if old is not None and new is None:
        yield Draft("operation", f"{old.label} was removed{_actions(old)}", old.pointer, "/paths")


@rule("operation-added", breaking=False, scope="document",
      summary="A new operation: no existing client calls it.")
def operation_added(old: Operation | None, new: Operation | None) -> Iterator[Draft]:
    if old is None and new is not None:
        yield Draft("operation", f"{new.label} was added{_actions(new)}", "/paths", new.pointer)


@rule("operation-path-changed", breaking=True, scope="operation",
      summary="The same operation (same operationId or actions) moved to another path: old URLs stop routing.")
def operation_path_changed(old: Operation, new: Operation) -> Iterator[Draft]:
    if (old.key or operation_key(old.method, old.path)) != (new.key or operation_key(new.method, new.path)):
        yield Draft("path", f"path {old.path} became {new.path}", old.pointer, new.pointer)


@rule("action-removed", breaking=True, scope="operation",
      summary="An action of an `.../action` operation is gone from the request `oneOf`.")
def action_removed(old: Operation, new: Operation) -> Iterator[Draft]:
    for name, endpoint in old.endpoints.items():
        if name is not None and name not in new.endpoints:
            yield Draft("action", f"action {name} was removed", endpoint.pointer, new.actions_pointer or new.pointer, name)


@rule("action-added", breaking=False, scope="operation",
      summary="A new action in the request `oneOf`.")
def action_added(old: Operation, new: Operation) -> Iterator[Draft]:
    for name, endpoint in new.endpoints.items():
        if name is not None and name not in old.endpoints:
            yield Draft("action", f"action {name} was added", old.actions_pointer or old.pointer, endpoint.pointer, name)


@rule("success-code-changed", breaking=True, scope="endpoint",
      summary="The documented success status code(s) differ: clients check for the old one.")
def success_code_changed(old: Endpoint, new: Endpoint) -> Iterator[Draft]:
    if old.success_codes != new.success_codes and old.success_codes and new.success_codes:
        was, now = ", ".join(sorted(old.success_codes)), ", ".join(sorted(new.success_codes))
        yield Draft("success status", f"success status {was} became {now}", old.success_pointer, new.success_pointer)


def _code_pointer(endpoint: Endpoint, code: str) -> str:
    """The response entry when the codes come from ``responses``, else the ``x-ssm`` list."""
    if endpoint.errors_pointer == endpoint.responses_pointer and code in endpoint.responses:
        return f"{endpoint.responses_pointer}/{code}"
    return endpoint.errors_pointer


@rule("error-code-removed", breaking=True, scope="endpoint",
      summary="A documented error status is no longer documented: clients handling it lose the contract.")
def error_code_removed(old: Endpoint, new: Endpoint) -> Iterator[Draft]:
    for code in sorted(old.error_codes - new.error_codes):
        yield Draft(f"error status {code}", f"error status {code} is no longer documented",
                    _code_pointer(old, code), new.errors_pointer)


@rule("error-code-added", breaking=False, scope="endpoint",
      summary="A newly documented error status (documenting what already happened).")
def error_code_added(old: Endpoint, new: Endpoint) -> Iterator[Draft]:
    for code in sorted(new.error_codes - old.error_codes):
        yield Draft(f"error status {code}", f"error status {code} is now documented",
                    old.errors_pointer, _code_pointer(new, code))


def _floor(endpoint: Endpoint) -> tuple[int, ...]:
    """The floor as data, else as the page states it in words: a heading "(since API 2.37)"
    that became ``versionadded:: 2.37`` changed nothing a client was told."""
    floor = endpoint.min_version or endpoint.stated_min_version
    return version_tuple(floor) if floor else ()


@rule("min-version-raised", breaking=True, scope="endpoint",
      summary="The microversion floor went up: clients at the old floor are refused.")
def min_version_raised(old: Endpoint, new: Endpoint) -> Iterator[Draft]:
    if _floor(new) > _floor(old):
        yield Draft("min microversion", f"minimum microversion {old.min_version or 'none'} became {new.min_version}",
                    old.min_version_pointer, new.min_version_pointer)


@rule("min-version-lowered", breaking=False, scope="endpoint",
      summary="The microversion floor went down: more clients may call it.")
def min_version_lowered(old: Endpoint, new: Endpoint) -> Iterator[Draft]:
    if _floor(new) < _floor(old):
        yield Draft("min microversion", f"minimum microversion {old.min_version} became {new.min_version or 'none'}",
                    old.min_version_pointer, new.min_version_pointer)


def _ceiling(endpoint: Endpoint) -> tuple[float, ...]:
    return tuple(version_tuple(endpoint.max_version)) if endpoint.max_version else (float("inf"),)


def above_known(ceiling: str | None, known: str | None) -> bool:
    """Whether a new ``ceiling`` refuses only microversions above ``known``, the highest the old
    document knew: no client built from the old page asks for them."""
    return ceiling is not None and known is not None and version_tuple(ceiling) >= version_tuple(known)


@rule("max-version-lowered", breaking=True, scope="endpoint",
      summary="A microversion ceiling appeared or went down: clients above it are refused.")
def max_version_lowered(old: Endpoint, new: Endpoint) -> Iterator[Draft]:
    if _ceiling(new) < _ceiling(old) and not above_known(new.max_version, old.known_version):
        was = f"maximum microversion {old.max_version} became" if old.max_version else "a maximum microversion appeared:"
        yield Draft("max microversion", f"{was} {new.max_version}", old.max_version_pointer, new.max_version_pointer)


@rule("max-version-at-new-microversion", breaking=False, scope="endpoint",
      summary="A microversion ceiling appeared at or above the highest microversion the old document knew: "
              "only newer microversions are refused.")
def max_version_at_new_microversion(old: Endpoint, new: Endpoint) -> Iterator[Draft]:
    if _ceiling(new) < _ceiling(old) and above_known(new.max_version, old.known_version):
        yield Draft("max microversion", f"maximum microversion {new.max_version} appeared (the old document knew "
                    f"microversions up to {old.known_version})", old.max_version_pointer, new.max_version_pointer)


@rule("max-version-raised", breaking=False, scope="endpoint",
      summary="The microversion ceiling went up or was lifted.")
def max_version_raised(old: Endpoint, new: Endpoint) -> Iterator[Draft]:
    if _ceiling(new) > _ceiling(old):
        now = f"became {new.max_version}" if new.max_version else "was lifted"
        yield Draft("max microversion", f"maximum microversion {old.max_version} {now}",
                    old.max_version_pointer, new.max_version_pointer)


def _newly_required(old: Endpoint, new: Endpoint, where: str) -> Iterator[Draft]:
    for key, param in sorted(new.parameters.items()):
        before = old.parameters.get(key)
        if key[0] == where and param.required and not (before and before.required):
            state = "optional" if before else "absent"
            yield Draft(f"{where} {param.name}", f"{where} parameter {param.name} is now required (was {state})",
                        before.pointer if before else old.parameters_pointer, param.pointer)


def _no_longer_required(old: Endpoint, new: Endpoint, where: str) -> Iterator[Draft]:
    for key, param in sorted(old.parameters.items()):
        after = new.parameters.get(key)
        if key[0] == where and param.required and not (after and after.required):
            state = "optional" if after else "gone"
            yield Draft(f"{where} {param.name}", f"{where} parameter {param.name} is no longer required (now {state})",
                        param.pointer, after.pointer if after else new.parameters_pointer)


@rule("header-newly-required", breaking=True, scope="endpoint",
      summary="A request header is required that was optional or absent.")
def header_newly_required(old: Endpoint, new: Endpoint) -> Iterator[Draft]:
    return _newly_required(old, new, "header")


@rule("header-no-longer-required", breaking=False, scope="endpoint",
      summary="A required request header became optional or was dropped.")
def header_no_longer_required(old: Endpoint, new: Endpoint) -> Iterator[Draft]:
    return _no_longer_required(old, new, "header")


@rule("query-newly-required", breaking=True, scope="endpoint",
      summary="A query parameter is required that was optional or absent.")
def query_newly_required(old: Endpoint, new: Endpoint) -> Iterator[Draft]:
    return _newly_required(old, new, "query")


@rule("query-no-longer-required", breaking=False, scope="endpoint",
      summary="A required query parameter became optional or was dropped.")
def query_no_longer_required(old: Endpoint, new: Endpoint) -> Iterator[Draft]:
    return _no_longer_required(old, new, "query")
