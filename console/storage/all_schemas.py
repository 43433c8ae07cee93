"""Every table of the site registered on ``Base``: what schema comparisons (Alembic) and the
audit triggers (which read column types) need.

Start-up imports only the tables the package list reads; the others (distribution points,
drivers, security) register when a unit of work first uses them. Code that needs the whole
schema imports ``Base`` from here.
"""

from console.storage import (  # noqa: F401  (each registers its tables on Base)
    audit_schema,
    distribution_schema,
    driver_schema,
    live_schema,
    security_schema,
)
from console.storage.schema import Base

__all__ = ["Base"]
