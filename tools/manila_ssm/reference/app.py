"""The WSGI application: Manila's request pipeline in upstream's order (§1.2).

1. body size limit (413, oslo sizelimit); 2. token (401, keystone's shape);
3. route match (plain 404, as the Routes mapper); 4. microversion (400/406);
5-6. action peek on the JSON body (400, or 404 for JSON that is not an object);
7. URL project vs token project (400 "Malformed request url"); 8. versioned
method (404 below the method's version or without the experimental flag);
9. policy (403, before any lookup); 10. the handler.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import BaseConverter, Map, Rule
from werkzeug.wrappers import Request, Response

from manila_ssm.reference import fixtures, migration, resources
from manila_ssm.reference.http import (
    GENERIC_403,
    GENERIC_404,
    GENERIC_500,
    ApiFault,
    Call,
    bad_request,
    decode_json,
    fault_response,
    json_response,
    parse_version,
    plain_error,
    unauthorized,
)
from manila_ssm.reference.runtime import Runtime
from manila_ssm.reference.views import versions

_log = logging.getLogger(__name__)
# oslo.middleware sizelimit: max_request_body_size default
MAX_BODY = 114688
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _ProjectId(BaseConverter):
    regex = "[0-9a-f-]+"  # manila/api/openstack/__init__.py: CONF.project_id_regex


@dataclass(frozen=True, slots=True)
class Endpoint:
    handler: Callable[..., Response]
    since: tuple[int, int] = (2, 0)
    experimental: bool = False
    admin_only: bool = True


ACTIONS: dict[str, Endpoint] = {
    "migration_check": Endpoint(migration.migration_check, (2, 57), True),
    "migration_start": Endpoint(migration.migration_start, (2, 57), True),
    "migration_complete": Endpoint(migration.migration_complete, (2, 57), True),
    "migration_cancel": Endpoint(migration.migration_cancel, (2, 57), True),
    "migration_get_progress": Endpoint(migration.migration_get_progress, (2, 57), True),
    "reset_task_state": Endpoint(resources.reset_task_state, (2, 57), True),
    "reset_status": Endpoint(resources.reset_status, (2, 49)),
}

ENDPOINTS: dict[str, Endpoint] = {
    "servers.index": Endpoint(lambda rt, call: resources.list_share_servers(rt, call)),
    "servers.show": Endpoint(lambda rt, call, server_id: resources.show_share_server(rt, call, server_id)),
    "servers.details": Endpoint(lambda rt, call, server_id: resources.share_server_details(rt, call, server_id)),
    "shares.index": Endpoint(lambda rt, call: resources.list_shares(rt, call, detailed=False), admin_only=False),
    "shares.detail": Endpoint(lambda rt, call: resources.list_shares(rt, call, detailed=True), admin_only=False),
    "shares.show": Endpoint(lambda rt, call, item_id: resources.show_share(rt, call, item_id), admin_only=False),
    "snapshots.index": Endpoint(lambda rt, call: resources.list_snapshots(rt, call, detailed=False),
                                admin_only=False),
    "snapshots.detail": Endpoint(lambda rt, call: resources.list_snapshots(rt, call, detailed=True),
                                 admin_only=False),
    "snapshots.show": Endpoint(lambda rt, call, item_id: resources.show_snapshot(rt, call, item_id),
                               admin_only=False),
    "pools.index": Endpoint(lambda rt, call: resources.list_pools(rt, call, detailed=False)),
    "pools.detail": Endpoint(lambda rt, call: resources.list_pools(rt, call, detailed=True)),
    "versions": Endpoint(lambda rt, call: json_response(call, 200, versions(call.request.host_url)),
                         admin_only=False),
}

FIXTURES: dict[str, Callable[..., Response]] = {
    "fixture.servers": fixtures.create_share_server,
    "fixture.networks": fixtures.create_share_network,
    "fixture.backends": fixtures.list_backends,
    "fixture.advance": lambda rt, call, server_id: fixtures.advance(rt, call, server_id),
    "fixture.backend": lambda rt, call, name: fixtures.update_backend(rt, call, name),
    "fixture.share": lambda rt, call, item_id: fixtures.update_status(rt, call, "shares", item_id),
    "fixture.snapshot": lambda rt, call, item_id: fixtures.update_status(rt, call, "snapshots", item_id),
}


def _url_map() -> Map:
    rules = [Rule("/", endpoint="root", methods=["GET"]),
             Rule("/v2", endpoint="versions", methods=["GET"]),
             Rule("/v2/", endpoint="versions", methods=["GET"])]
    routed = [("/share-servers", "servers.index", "GET"), ("/share-servers/<server_id>", "servers.show", "GET"),
              ("/share-servers/<server_id>/details", "servers.details", "GET"),
              ("/share-servers/<server_id>/action", "action", "POST"),
              ("/shares", "shares.index", "GET"), ("/shares/detail", "shares.detail", "GET"),
              ("/shares/<item_id>", "shares.show", "GET"),
              ("/snapshots", "snapshots.index", "GET"), ("/snapshots/detail", "snapshots.detail", "GET"),
              ("/snapshots/<item_id>", "snapshots.show", "GET"),
              ("/scheduler-stats/pools", "pools.index", "GET"),
              ("/scheduler-stats/pools/detail", "pools.detail", "GET")]
    for path, endpoint, method in routed:
        # manila/api/openstack/__init__.py: every route with and without {project_id}
        rules.append(Rule(f"/v2/<project:project_id>{path}", endpoint=endpoint, methods=[method]))
        rules.append(Rule(f"/v2{path}", endpoint=endpoint, methods=[method]))
    rules += [Rule("/_reference/share-servers", endpoint="fixture.servers", methods=["POST"]),
              Rule("/_reference/share-servers/<server_id>/advance", endpoint="fixture.advance", methods=["POST"]),
              Rule("/_reference/share-networks", endpoint="fixture.networks", methods=["POST"]),
              Rule("/_reference/backends", endpoint="fixture.backends", methods=["GET"]),
              Rule("/_reference/backends/<name>", endpoint="fixture.backend", methods=["PUT"]),
              Rule("/_reference/shares/<item_id>", endpoint="fixture.share", methods=["PUT"]),
              Rule("/_reference/snapshots/<item_id>", endpoint="fixture.snapshot", methods=["PUT"])]
    return Map(rules, converters={"project": _ProjectId}, strict_slashes=False, merge_slashes=False)


class TargetApp:
    """Manila's share-server migration API over one ``Runtime``."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.url_map = _url_map()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        request.max_content_length = MAX_BODY
        try:
            response = self.handle(request)
        except HTTPException as error:  # werkzeug's own: the body was larger than it said
            if error.code != 413:
                raise
            response = plain_error(request, 413, "Request Entity Too Large", "Request is too large.")
        except Exception:  # noqa: BLE001 - a bug must still answer in Manila's shape
            _log.exception("reference target bug on %s %s", request.method, request.path)
            response = fault_response(None, ApiFault(500, GENERIC_500))
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        if request.content_length is not None and request.content_length > MAX_BODY:
            return plain_error(request, 413, "Request Entity Too Large", "Request is too large.")
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except HTTPException:
            endpoint, args = None, {}
        if endpoint == "root":  # manila/api/versions.py: unauthenticated, 300 Multiple Choices
            return json_response(None, 300, versions(request.host_url))
        token = request.headers.get("X-Auth-Token", "")
        if not token:
            return unauthorized(request)  # DEV-NO-TOKEN
        user, _, project = token.partition(":")
        call = Call(request=request, user=user, project=project or user,
                    roles=self.runtime.config.roles_for(user, project or user))
        if endpoint is None:
            return plain_error(request, 404, "Not Found", GENERIC_404)
        try:
            if endpoint.startswith("fixture."):
                if not call.is_admin:
                    raise ApiFault(403, GENERIC_403)
                return FIXTURES[endpoint](self.runtime, call, **args)
            try:
                parse_version(call)
            except ApiFault as fault:
                return fault_response(call, fault)
            return self.dispatch(call, endpoint, args)
        except ApiFault as fault:
            return fault_response(call, fault)

    def dispatch(self, call: Call, endpoint: str, args: dict[str, Any]) -> Response:
        url_project = args.pop("project_id", None)
        value: Any = None
        if endpoint == "action":
            name, value = self.peek_action(call.request)
            target = ACTIONS[name]
        else:
            target = ENDPOINTS[endpoint]
        if url_project and url_project != call.project:
            raise bad_request("Malformed request url")
        if call.version is None or call.version < target.since or (target.experimental and not call.experimental):
            raise ApiFault(404, GENERIC_404)
        if target.admin_only and not call.is_admin:
            raise ApiFault(403, GENERIC_403)
        if endpoint == "action":
            return target.handler(self.runtime, call, args["server_id"], value)
        return target.handler(self.runtime, call, **args)

    @staticmethod
    def peek_action(request: Request) -> tuple[str, Any]:
        """``action_peek_json``: exactly one top-level key naming a known action."""
        content_type = request.headers.get("Content-Type")
        data = request.get_data(cache=True)
        # manila/api/openstack/wsgi.py get_body: without JSON content the body is ignored
        if content_type is None or content_type.split(";")[0].strip() != "application/json" or not data:
            raise bad_request("There is no such action: None")
        try:
            decoded = decode_json(data)
        except ValueError:
            raise bad_request("Malformed request body") from None
        try:
            if len(decoded) != 1:
                raise bad_request("Malformed request body")
            name = list(decoded.keys())[0]
        except (TypeError, AttributeError):  # null, numbers, 1-item lists: upstream maps these to 404
            raise ApiFault(404, GENERIC_404) from None
        if name not in ACTIONS:  # DEV-OTHER-SERVER-ACTIONS: unmanage & co. are not served here
            raise bad_request(f"There is no such action: {name}")
        return name, decoded[name]
