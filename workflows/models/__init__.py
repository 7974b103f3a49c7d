"""Imports every table module so that SQLModel.metadata is complete (Alembic and tests rely on it)."""
import engine.models  # noqa: F401
import workflows.identity.models  # noqa: F401
