"""The ``crmbridge`` command line (the commands live in ``crmbridge._cli``, one module per group).

Exit codes: 0 success; 1 the command ran and found a problem (schema drift, a payload that does
not translate, records a migration could not move); 2 bad usage; 3 a CRM could not be reached or
refused the credentials (or a read kept failing: run again to resume); 4 another run holds the job;
130 interrupted. ``--debug`` shows the traceback of an error.
"""

from __future__ import annotations

from crmbridge._cli import app

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover - `python -m crmbridge.cli`
    main()
