"""``real-manila up --auth keystone``: a real Keystone in front of the same Manila.

Keystone (PyPI, in the harness's venv) keeps its own database in the
harness's MariaDB, issues fernet tokens and is served by uWSGI. Manila then
checks every token through keystonemiddleware and enforces its in-code
policy defaults, so the admin and member users below hold real roles.
The catalog gets the ``sharev2`` and ``share`` services, and a clouds.yaml
in the base names one cloud per user for the suite's ``--cloud`` options.

Every password here is a loopback-only throwaway of this deployment.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import yaml

from manila_ssm.realmanila.config import (
    ADMIN_PROJECT,
    ADMIN_TOKEN,
    DEMO_PROJECT,
    DEMO_TOKEN,
    HarnessConfig,
    child_environment,
)
from manila_ssm.realmanila.procs import Daemon, HarnessError, port_open, run_step, wait_until

KEYSTONE_VERSION = "30.0.0"
REGION = "RegionOne"
DOMAIN = "Default"
ADMIN_CLOUD = "ssm-admin"
MEMBER_CLOUD = "ssm-member"


@dataclass(frozen=True, slots=True)
class Account:
    """A Keystone user with one role in one project."""

    user: str
    password: str
    project: str
    role: str


ADMIN = Account("admin", "ssm-admin-secret", "admin", "admin")
MEMBER = Account("ssm-member", "ssm-member-secret", "ssm-member", "member")
# Manila's own service user, which keystonemiddleware uses to check tokens.
SERVICE = Account("manila", "ssm-manila-secret", "service", "admin")
DB_PASSWORD = "keystone"
SHARE_SERVICES = (("sharev2", "v2"), ("share", "v1"))
INTERFACES = ("public", "internal", "admin")


@dataclass(frozen=True, slots=True)
class Credentials:
    """Who the harness speaks as: tokens and the projects they are scoped to."""

    admin_token: str
    admin_project: str
    member_token: str
    member_project: str


def enabled(config: HarnessConfig) -> bool:
    return config.auth == "keystone"


def keystone_root(config: HarnessConfig) -> str:
    return f"http://127.0.0.1:{config.keystone_port}"


def auth_url(config: HarnessConfig) -> str:
    return keystone_root(config) + "/v3"


def clouds_file(config: HarnessConfig) -> Path:
    return config.base / "clouds.yaml"


def share_endpoint_template(root: str, version: str) -> str:
    """The catalog URL of a share service; Keystone fills in the project id."""
    return f"{root.rstrip('/')}/{version}/$(project_id)s"


# -- configuration files (pure) -------------------------------------------

def keystone_conf(config: HarnessConfig) -> str:
    data = config.data_dir / "keystone"
    return "\n".join([
        "# Keystone for the conformance harness: fernet tokens, loopback only.",
        "[DEFAULT]",
        f"log_file = {config.log_dir / 'keystone.log'}",
        "use_stderr = False",
        "[database]",
        f"connection = mysql+pymysql://keystone:{DB_PASSWORD}@127.0.0.1:{config.db_port}/keystone?charset=utf8",
        "[token]",
        "provider = fernet",
        "# long enough for a soak or a tempest run with one token",
        "expiration = 43200",
        "[fernet_tokens]",
        f"key_repository = {data / 'fernet-keys'}",
        "[fernet_receipts]",
        f"key_repository = {data / 'fernet-keys'}",
        "[credential]",
        f"key_repository = {data / 'credential-keys'}",
        "",
    ])


def keystone_uwsgi_ini(config: HarnessConfig, wsgi: str) -> str:
    """uWSGI for Keystone; ``wsgi`` is ``module = ...`` or ``wsgi-file = ...``."""
    return "\n".join([
        "[uwsgi]",
        wsgi,
        f"virtualenv = {config.venv}",
        f"env = OS_KEYSTONE_CONFIG_DIR={config.etc_dir / 'keystone'}",
        f"http-socket = 127.0.0.1:{config.keystone_port}",
        "master = true",
        "processes = 1",
        "threads = 4",
        "enable-threads = true",
        "lazy-apps = true",
        "need-app = true",
        "die-on-term = true",
        "buffer-size = 65535",
        "# without it, clients that reuse connections get 'Connection reset by peer'",
        "add-header = Connection: close",
        f"logto = {config.log_dir / 'keystone-uwsgi.log'}",
        "",
    ])


def authtoken_section(config: HarnessConfig) -> str:
    return "\n".join([
        "[keystone_authtoken]",
        f"www_authenticate_uri = {auth_url(config)}",
        f"auth_url = {auth_url(config)}",
        "auth_type = password",
        f"username = {SERVICE.user}",
        f"password = {SERVICE.password}",
        f"project_name = {SERVICE.project}",
        f"user_domain_name = {DOMAIN}",
        f"project_domain_name = {DOMAIN}",
        f"region_name = {REGION}",
        "",
    ])


NOAUTH_LINE = "auth_strategy = noauth"
# tempest's replication settings (behaviour §8) need a replication domain on
# every Dummy back end and a replica state update in the share service.
REPLICATION_DOMAIN = "ssm_replication"
REPLICA_INTERVAL = 10


def adapt_manila_conf(text: str, config: HarnessConfig) -> str:
    """manila.conf of the noauth template turned into the keystone deployment's."""
    if NOAUTH_LINE not in text.splitlines():
        raise ValueError(f"manila.conf template: no line {NOAUTH_LINE!r} to switch to keystone; "
                         "restore it in realmanila/templates/manila.conf")
    lines = []
    for line in text.splitlines():
        if line == NOAUTH_LINE:
            lines += ["auth_strategy = keystone", f"replica_state_update_interval = {REPLICA_INTERVAL}"]
        elif line.startswith("share_driver = "):
            lines += [line, f"replication_domain = {REPLICATION_DOMAIN}"]
        else:
            lines.append(line)
    return "\n".join(lines) + "\n\n" + authtoken_section(config)


def adapt_configs(config: HarnessConfig, files: Mapping[Path, str]) -> dict[Path, str]:
    """The noauth deployment's files, switched to Keystone, plus Keystone's own.

    The noauth policy override (``context_is_admin`` narrowed to one user id)
    would lock out Keystone's admin, so policy.yaml overrides nothing.
    """
    adapted = dict(files)
    manila_conf = config.etc_dir / "manila.conf"
    adapted[manila_conf] = adapt_manila_conf(files[manila_conf], config)
    adapted[config.etc_dir / "policy.yaml"] = "# keystone mode: Manila's in-code policy defaults\n{}\n"
    adapted[config.etc_dir / "keystone" / "keystone.conf"] = keystone_conf(config)
    adapted[config.etc_dir / "keystone-uwsgi.ini"] = keystone_uwsgi_ini(config, _wsgi_line(config))
    return adapted


def clouds_yaml(config: HarnessConfig) -> dict[str, Any]:
    """One cloud per user, for ``--ssm-cloud`` / ``--ssm-member-cloud``."""
    def cloud(account: Account) -> dict[str, Any]:
        return {
            "auth": {
                "auth_url": auth_url(config),
                "username": account.user,
                "password": account.password,
                "project_name": account.project,
                "user_domain_name": DOMAIN,
                "project_domain_name": DOMAIN,
            },
            "region_name": REGION,
            "interface": "public",
            "identity_api_version": 3,
        }

    return {"clouds": {ADMIN_CLOUD: cloud(ADMIN), MEMBER_CLOUD: cloud(MEMBER)}}


# -- install and daemon ---------------------------------------------------

def _site_packages(config: HarnessConfig) -> Path | None:
    found = sorted((config.venv / "lib").glob("python3*/site-packages"))
    return found[0] if found else None


def _wsgi_line(config: HarnessConfig) -> str:
    """Keystone's WSGI entry: the module newer releases ship, else the script."""
    site = _site_packages(config)
    if site is not None and (site / "keystone" / "wsgi" / "api.py").is_file():
        return "module = keystone.wsgi.api:application"
    return f"wsgi-file = {config.venv / 'bin' / 'keystone-wsgi-public'}"


def installed_version(config: HarnessConfig) -> str | None:
    python = config.venv / "bin" / "python"
    if not python.exists():
        return None
    result = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('keystone'))"],
        capture_output=True, text=True, check=False,
    )
    return result.stdout.strip() or None if result.returncode == 0 else None


def ensure_installed(config: HarnessConfig) -> bool:
    """pip-install the pinned Keystone into the harness's venv; True if it had to."""
    if installed_version(config) == KEYSTONE_VERSION:
        return False
    env = child_environment(config)
    run_step("pip", [str(config.venv / "bin" / "python"), "-m", "pip", "install", "-q",
                     f"keystone=={KEYSTONE_VERSION}"], config.log_dir / "pip-keystone.log", env, timeout=900)
    return True


def daemon(config: HarnessConfig) -> Daemon:
    ini = config.etc_dir / "keystone-uwsgi.ini"
    return Daemon("keystone", (str(config.venv / "bin" / "uwsgi"), "--ini", str(ini)),
                  config.log_dir / "keystone.out", config.run_dir / "keystone.pid", str(ini))


def with_daemon(config: HarnessConfig, daemons: Mapping[str, Daemon]) -> dict[str, Daemon]:
    """The daemons with Keystone before Manila's services (it must answer first).

    Also listed when only its PID file says it runs, so ``down`` without
    ``--auth keystone`` still stops it.
    """
    keystone = daemon(config)
    if not enabled(config) and keystone.pid() is None:
        return dict(daemons)
    ordered: dict[str, Daemon] = {}
    for name, item in daemons.items():
        if name.startswith("manila-") and "keystone" not in ordered:
            ordered["keystone"] = keystone
        ordered[name] = item
    ordered.setdefault("keystone", keystone)
    return ordered


# -- start-up ---------------------------------------------------------------

def _manage(config: HarnessConfig, *args: str) -> None:
    manage = str(config.venv / "bin" / "keystone-manage")
    conf = str(config.etc_dir / "keystone" / "keystone.conf")
    run_step(f"keystone-manage {args[0]}", [manage, "--config-file", conf, *args],
             config.log_dir / "keystone-manage.out", child_environment(config))


def _create_database(config: HarnessConfig) -> None:
    client = ["mariadb", f"--defaults-file={config.etc_dir / 'mariadb.cnf'}", "-uroot"]
    grants = (
        "CREATE DATABASE IF NOT EXISTS keystone CHARACTER SET utf8mb4;"
        f"CREATE USER IF NOT EXISTS 'keystone'@'127.0.0.1' IDENTIFIED BY '{DB_PASSWORD}';"
        "GRANT ALL PRIVILEGES ON keystone.* TO 'keystone'@'127.0.0.1';"
    )
    run_step("mariadb", [*client, "-e", grants], config.log_dir / "mariadb-setup.log", child_environment(config))


def start(config: HarnessConfig, daemons: Mapping[str, Daemon]) -> None:
    """Database, keys, bootstrap, uWSGI, then users and catalog; all idempotent."""
    keystone = daemons["keystone"]
    ensure_installed(config)
    _create_database(config)
    _manage(config, "db_sync")
    for kind in ("fernet", "credential"):
        keys = config.data_dir / "keystone" / f"{kind}-keys"
        if not (keys / "0").is_file():
            keys.parent.mkdir(parents=True, exist_ok=True)
            _manage(config, f"{kind}_setup", "--keystone-user", "root", "--keystone-group", "root")
    identity = auth_url(config)
    _manage(config, "bootstrap", "--bootstrap-password", ADMIN.password, "--bootstrap-username", ADMIN.user,
            "--bootstrap-project-name", ADMIN.project, "--bootstrap-role-name", ADMIN.role,
            "--bootstrap-service-name", "keystone", "--bootstrap-region-id", REGION,
            "--bootstrap-admin-url", identity, "--bootstrap-public-url", identity,
            "--bootstrap-internal-url", identity)
    if keystone.pid() is None and port_open(config.keystone_port):
        raise HarnessError("keystone", f"port 127.0.0.1:{config.keystone_port} is taken by a process this "
                           "harness did not start; choose another with --keystone-port")
    keystone.start(child_environment(config), config.base)

    def answers() -> bool:
        try:
            return requests.get(identity, timeout=5).status_code == 200
        except requests.RequestException:
            return False

    wait_until("keystone", answers, 90, config.log_dir / "keystone-uwsgi.log", keystone)
    admin = Admin(config)
    admin.ensure_accounts()
    admin.ensure_share_catalog(config.api_root)
    text = yaml.safe_dump(clouds_yaml(config), sort_keys=False)
    clouds = clouds_file(config)
    if not clouds.is_file() or clouds.read_text(encoding="utf-8") != text:
        clouds.write_text(text, encoding="utf-8")
    clouds.chmod(0o600)


# -- the identity API -------------------------------------------------------

def issue_token(config: HarnessConfig, account: Account) -> tuple[str, str]:
    """A project-scoped token for ``account`` and the project's id."""
    body = {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": account.user, "domain": {"name": DOMAIN}, "password": account.password}}},
        "scope": {"project": {"name": account.project, "domain": {"name": DOMAIN}}},
    }}
    try:
        response = requests.post(auth_url(config) + "/auth/tokens", json=body, timeout=30)
    except requests.RequestException as error:
        raise HarnessError("keystone", f"cannot reach {auth_url(config)}: {error}") from None
    if response.status_code != 201:
        raise HarnessError("keystone", f"token for {account.user} refused: {response.status_code} "
                           f"{response.text[:200]}", config.log_dir / "keystone.log")
    return response.headers["X-Subject-Token"], response.json()["token"]["project"]["id"]


_CACHE: dict[tuple[Path, int], Credentials] = {}


def credentials(config: HarnessConfig) -> Credentials:
    """The harness's admin and member identities in this deployment's auth mode."""
    if not enabled(config):
        return Credentials(ADMIN_TOKEN, ADMIN_PROJECT, DEMO_TOKEN, DEMO_PROJECT)
    key = (config.base, config.keystone_port)
    if key not in _CACHE:
        admin_token, admin_project = issue_token(config, ADMIN)
        member_token, member_project = issue_token(config, MEMBER)
        _CACHE[key] = Credentials(admin_token, admin_project, member_token, member_project)
    return _CACHE[key]


class Admin:
    """Keystone's v3 API as the bootstrap admin: find-or-create, nothing else."""

    def __init__(self, config: HarnessConfig) -> None:
        self.config = config
        self.token, _ = issue_token(config, ADMIN)

    def call(self, method: str, path: str, body: Any = None) -> Any:
        response = requests.request(method, auth_url(self.config) + path, json=body, timeout=30,
                                    headers={"X-Auth-Token": self.token})
        if response.status_code >= 400:
            raise HarnessError("keystone", f"{method} {path} answered {response.status_code}: "
                               f"{response.text[:300]}", self.config.log_dir / "keystone.log")
        return response.json() if response.content else None

    def find_or_create(self, collection: str, match: Mapping[str, str], body: Mapping[str, Any]) -> dict:
        query = "&".join(f"{key}={value}" for key, value in match.items())
        singular = collection.rstrip("s")
        for item in self.call("GET", f"/{collection}?{query}")[collection]:
            if all(item.get(key) == value for key, value in match.items()):
                return item
        return self.call("POST", f"/{collection}", {singular: {**match, **body}})[singular]

    def ensure_accounts(self) -> None:
        domain = self.call("GET", f"/domains?name={DOMAIN}")["domains"][0]["id"]
        roles = {role: self.find_or_create("roles", {"name": role}, {})["id"]
                 for role in ("admin", "member", "reader", "service")}
        for account, extra_roles in ((SERVICE, ("service",)), (MEMBER, ())):
            project = self.find_or_create("projects", {"name": account.project}, {"domain_id": domain})
            user = self.find_or_create("users", {"name": account.user},
                                       {"domain_id": domain, "password": account.password})
            for role in (account.role, *extra_roles):
                self.call("PUT", f"/projects/{project['id']}/users/{user['id']}/roles/{roles[role]}")

    def ensure_share_catalog(self, root: str) -> None:
        """``sharev2`` and ``share`` services with endpoints at ``root`` (idempotent, re-points)."""
        for service_type, version in SHARE_SERVICES:
            service = self.find_or_create("services", {"type": service_type},
                                          {"name": "manilav2" if version == "v2" else "manila"})
            url = share_endpoint_template(root, version)
            existing = self.call("GET", f"/endpoints?service_id={service['id']}")["endpoints"]
            for interface in INTERFACES:
                found = [e for e in existing if e["interface"] == interface]
                if not found:
                    self.call("POST", "/endpoints", {"endpoint": {
                        "service_id": service["id"], "interface": interface, "url": url, "region_id": REGION}})
                elif found[0]["url"] != url:
                    self.call("PATCH", f"/endpoints/{found[0]['id']}", {"endpoint": {"url": url}})


def point_share_catalog(config: HarnessConfig, root: str) -> None:
    """Re-point the share endpoints (tempest has no endpoint override of its own)."""
    Admin(config).ensure_share_catalog(root)


def suite_auth_arguments(config: HarnessConfig) -> list[str]:
    """``ssm-conformance run`` options naming this deployment's clouds.

    openstacksdk finds the clouds.yaml through ``OS_CLIENT_CONFIG_FILE``,
    which is set for this process (the suite runs in it).
    """
    os.environ["OS_CLIENT_CONFIG_FILE"] = str(clouds_file(config))
    return ["--cloud", ADMIN_CLOUD, "--member-cloud", MEMBER_CLOUD]
