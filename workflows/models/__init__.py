"""Imports every table module so that SQLModel.metadata is complete (Alembic and tests rely on it)."""
import connectors.models  # noqa: F401
import engine.models  # noqa: F401
import workflows.calendar.models  # noqa: E401, F401
import workflows.citizen.models  # noqa: F401
import workflows.documents.models  # noqa: F401
import workflows.dossiers.models  # noqa: F401
import workflows.identity.models  # noqa: F401
import workflows.procedures.models
import workflows.reminders.models  # noqa: F401
