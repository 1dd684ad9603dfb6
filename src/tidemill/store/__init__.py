"""The metadata store: SQLAlchemy 2 over SQLite (WAL) or PostgreSQL; no decisions live here."""
