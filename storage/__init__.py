"""Persistence: SQLAlchemy models, the session scope, queries and Alembic migrations."""
