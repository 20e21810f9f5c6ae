"""Where the harness puts things and how the deployment is configured.

Every setting has an environment twin (``SSM_REAL_MANILA_*``), so a CI job
and a person at a shell get the same deployment from the same command.
Nothing lives inside the repository: the default base directory is one per
user and checkout under the user's cache, and manila is installed in its
own venv there. Ports left at 0 are chosen free at ``up`` and recorded in
the base (see ``ports.py``), so two checkouts never share a port.
"""

from __future__ import annotations

import hashlib
import os
import string
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path

from manila_ssm.realmanila.procs import OWNER_VARIABLE

MANILA_VERSION = "23.0.1"
ADMIN_PROJECT = "ad000000000000000000000000000001"
DEMO_PROJECT = "de000000000000000000000000000002"
ADMIN_USER = "admin"
DEMO_USER = "demo"
# noauth tokens are "<user>:<project>"; they carry no secret.
ADMIN_TOKEN = f"{ADMIN_USER}:{ADMIN_PROJECT}"
DEMO_TOKEN = f"{DEMO_USER}:{DEMO_PROJECT}"
BACKENDS = ("alpha", "beta", "gamma")
API_MODES = ("auto", "uwsgi", "eventlet")
AUTH_MODES = ("noauth", "keystone")  # keystone: see realmanila/keystone.py
ENV_PREFIX = "SSM_REAL_MANILA_"
# Each port and the daemon that listens on it.
PORT_FIELDS = {"api_port": "manila-api", "db_port": "mariadb", "amqp_port": "rabbitmq",
               "dist_port": "rabbitmq", "epmd_port": "epmd", "keystone_port": "keystone"}


@dataclass(frozen=True, slots=True)
class HarnessConfig:
    """One deployment of real Manila; ``base`` holds all of its state."""

    base: Path = Path("/tmp/ssm-realmanila")  # replaced by default_base() in from_environment
    manila_version: str = MANILA_VERSION
    python: str = "python3"
    host: str = "realmanila"
    # 0: choose a free port at ``up`` and record it in the base (ports.py).
    api_port: int = 0
    db_port: int = 0
    amqp_port: int = 0
    dist_port: int = 0
    epmd_port: int = 0
    rabbit_node: str = ""  # "": one derived from the base, so two bases never share a node name
    dummy_delay: float = 1.0
    continue_interval: int = 3
    api_mode: str = "auto"
    auth: str = "noauth"
    keystone_port: int = 0  # chosen and recorded like the others, so two keystone bases can run side by side
    backends: tuple[str, ...] = field(default=BACKENDS)

    @property
    def venv(self) -> Path:
        return self.base / "venv"

    @property
    def etc_dir(self) -> Path:
        return self.base / "etc"

    @property
    def run_dir(self) -> Path:
        return self.base / "run"

    @property
    def log_dir(self) -> Path:
        return self.base / "log"

    @property
    def data_dir(self) -> Path:
        return self.base / "data"

    @property
    def state_dir(self) -> Path:
        return self.data_dir / "manila"

    @property
    def ports_file(self) -> Path:
        return self.base / "ports.json"

    @property
    def node_name(self) -> str:
        """RabbitMQ's Erlang node name, unique per base unless set."""
        if self.rabbit_node:
            return self.rabbit_node
        return f"ssm-{hashlib.sha256(str(self.base).encode()).hexdigest()[:10]}@localhost"

    @property
    def fixtures_file(self) -> Path:
        return self.base / "fixtures.json"

    @property
    def api_root(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def backend_host(self, backend: str) -> str:
        """The share service host of a back end, as migration requests name it."""
        return f"{self.host}@{backend}"

    def backend_pool(self, backend: str) -> str:
        # manila/tests/share/drivers/dummy.py: one pool "fake_pool_for_<name>"
        return f"{self.backend_host(backend)}#fake_pool_for_{backend.upper()}"


def checkout_root() -> Path:
    """The checkout (or installed tree) this copy of the harness runs from."""
    return Path(__file__).resolve().parents[3]


def default_base(env: Mapping[str, str], root: Path | None = None) -> Path:
    """One base folder per user and checkout, so two checkouts never share state.

    It lives in the user's cache (``$XDG_CACHE_HOME`` or ``~/.cache``), named
    after the checkout folder plus a digest of its full path.
    """
    root = (root or checkout_root()).resolve()
    cache = Path(env.get("XDG_CACHE_HOME") or Path(env.get("HOME") or Path.home()) / ".cache")
    digest = hashlib.sha256(str(root).encode()).hexdigest()[:10]
    return cache / "ssm-real-manila" / f"{root.name}-{digest}"


def from_environment(env: Mapping[str, str], **overrides: object) -> HarnessConfig:
    """The configuration from ``SSM_REAL_MANILA_*`` variables, then ``overrides``.

    Overrides that are ``None`` are ignored, so CLI flags that were not given
    fall through to the environment and then to the defaults.
    """
    values: dict[str, object] = {}
    for item in fields(HarnessConfig):
        raw = env.get(ENV_PREFIX + item.name.upper())
        if raw is not None and raw != "":
            values[item.name] = _convert(item.name, raw, f"{ENV_PREFIX}{item.name.upper()}")
    values.update({k: v for k, v in overrides.items() if v is not None})
    values["base"] = Path(str(values.get("base") or default_base(env))).resolve()
    config = replace(HarnessConfig(), **values)
    validate(config)
    return config


def _convert(name: str, raw: str, source: str) -> object:
    default = getattr(HarnessConfig(), name)
    try:
        if isinstance(default, bool):
            return raw.lower() in ("1", "true", "yes")
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
    except ValueError:
        raise ValueError(f"{source}={raw!r} is not a number; set it to a number or unset it") from None
    if isinstance(default, tuple):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw


def validate(config: HarnessConfig) -> None:
    """Reject settings that would touch the repository or cannot work."""
    if config.api_mode not in API_MODES:
        raise ValueError(f"api mode {config.api_mode!r} is not one of {', '.join(API_MODES)}")
    if config.auth not in AUTH_MODES:
        raise ValueError(f"auth {config.auth!r} is not one of {', '.join(AUTH_MODES)}")
    if len(config.backends) < 3:
        raise ValueError("at least three back ends are needed (source, destination, spare)")
    repo = Path(__file__).resolve().parents[3]
    if config.base == repo or repo in config.base.parents:
        raise ValueError(
            f"base directory {config.base} is inside the repository {repo}; "
            "choose one under /tmp or /var/tmp"
        )
    for name in PORT_FIELDS:
        port = getattr(config, name)
        if not 0 <= port <= 65535:
            raise ValueError(f"{name.replace('_', ' ')} {port} is not a TCP port; use 1-65535, or 0 to choose one")
    if config.continue_interval < 1:
        raise ValueError("continue interval must be at least 1 second")


def _template(name: str) -> string.Template:
    text = resources.files(__package__).joinpath("templates", name).read_text(encoding="utf-8")
    return string.Template(text)


def render_all(config: HarnessConfig) -> dict[Path, str]:
    """Every configuration file of the deployment, by destination path."""
    values = {
        "venv": str(config.venv),
        "etc_dir": str(config.etc_dir),
        "run_dir": str(config.run_dir),
        "log_dir": str(config.log_dir),
        "data_dir": str(config.data_dir),
        "state_dir": str(config.state_dir),
        "api_port": str(config.api_port),
        "db_port": str(config.db_port),
        "amqp_port": str(config.amqp_port),
        "host": config.host,
        "backends": ",".join(config.backends),
        "continue_interval": str(config.continue_interval),
        "admin_user": ADMIN_USER,
    }
    sections = "\n".join(
        _template("backend.conf").substitute(
            name=name, pool_name=name.upper(), dummy_delay=config.dummy_delay
        )
        for name in config.backends
    )
    files = {
        config.etc_dir / "manila.conf": _template("manila.conf").substitute(
            values, backend_sections=sections
        ),
        config.etc_dir / "policy.yaml": _template("policy.yaml").substitute(values),
        config.etc_dir / "uwsgi.ini": _template("uwsgi.ini").substitute(values),
        config.etc_dir / "mariadb.cnf": _template("mariadb.cnf").substitute(values),
        config.etc_dir / "rabbitmq.conf": _template("rabbitmq.conf").substitute(values),
        config.etc_dir / "enabled_plugins": "[].\n",
    }
    if config.auth == "keystone":
        from manila_ssm.realmanila import keystone

        files = keystone.adapt_configs(config, files)
    return files


def write_configs(config: HarnessConfig) -> None:
    for path, text in render_all(config).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")


def child_environment(config: HarnessConfig) -> dict[str, str]:
    """The environment every daemon starts with: private RabbitMQ and Erlang state."""
    env = dict(os.environ)
    env.update(
        {
            "HOME": str(config.data_dir / "rabbitmq-home"),
            "RABBITMQ_NODENAME": config.node_name,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(config.amqp_port),
            "RABBITMQ_DIST_PORT": str(config.dist_port),
            "RABBITMQ_MNESIA_BASE": str(config.data_dir / "rabbitmq"),
            "RABBITMQ_LOG_BASE": str(config.log_dir / "rabbitmq"),
            "RABBITMQ_CONFIG_FILE": str(config.etc_dir / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(config.etc_dir / "enabled_plugins"),
            "RABBITMQ_CONF_ENV_FILE": "/dev/null",
            "RABBITMQ_PID_FILE": str(config.run_dir / "rabbitmq-node.pid"),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "ERL_EPMD_PORT": str(config.epmd_port),
            "ERL_CRASH_DUMP": str(config.log_dir / "erl_crash.dump"),
            "PYTHONDONTWRITEBYTECODE": "1",
            # Marks every daemon as this base's: procs.Daemon trusts a PID file only
            # when the process's environment carries it.
            OWNER_VARIABLE: str(config.base),
        }
    )
    # The project's venv must not leak into manila's interpreter.
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)
    return env
