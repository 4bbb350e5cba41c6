"""The SQL database: one engine per process, the schema, and transactions that behave alike on
SQLite (the zero-setup default) and PostgreSQL (production)."""

from clinic.adapters.storage.claims import LeasedQueue, claim_each
from clinic.adapters.storage.database import Database
from clinic.adapters.storage.tables import metadata

__all__ = ["Database", "LeasedQueue", "claim_each", "metadata"]
