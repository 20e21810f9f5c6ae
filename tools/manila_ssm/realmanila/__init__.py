"""Real upstream Manila on loopback: the harness, the recorder and the cassettes.

``ssm-conformance real-manila up`` installs manila from PyPI into a venv of
its own, starts it with private MariaDB and RabbitMQ instances, and creates
fixtures; ``record`` saves real exchanges as cassettes that the ordinary
test run replays without Manila.
"""
