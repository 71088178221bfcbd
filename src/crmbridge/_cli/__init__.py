"""The ``crmbridge`` command line, one module per command group (``crmbridge.cli`` is the entry point).

Exit codes: 0 success; 1 the command ran and found a problem (schema drift, a payload that does
not translate, records a migration could not move); 2 bad usage; 3 a CRM could not be reached or
refused the credentials, or a read kept failing (run again to resume); 4 another run holds the job;
130 interrupted (Ctrl-C).

Credentials come from options or the environment (``CRMBRIDGE_<CRM>_TOKEN``,
``CRMBRIDGE_<CRM>_BASE_URL``) and are never printed.
"""

from crmbridge._cli import _basic, _discover, _feed, _mapping, _migrate, _sandbox  # noqa: F401  (each registers its commands)
from crmbridge._cli._app import app
from crmbridge._shards_cli import register_shard_commands

register_shard_commands(app)

__all__ = ["app"]
