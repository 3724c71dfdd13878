"""The store on PostgreSQL, for several servers sharing one database (`[database] type = postgres`)."""
from .database import Database, DatabaseTooNew, conninfo
from .index import PgIndex

__all__ = ["Database", "DatabaseTooNew", "PgIndex", "conninfo"]
