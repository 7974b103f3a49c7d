"""Imports every table module so that SQLModel.metadata is complete (Alembic and tests rely on it)."""
import connectors.models  # noqa: F401
import engine.models  # noqa: F401
import workflows.agencies.models  # noqa: F401
import workflows.audit.models  # noqa: F401
import workflows.calendar.models  # noqa: F401
import workflows.core.models  # noqa: F401
import workflows.documents.models  # noqa: F401
import workflows.dossiers.models  # noqa: F401
import workflows.feedback.models  # noqa: F401
import workflows.identity.models  # noqa: F401
import workflows.news.models  # noqa: F401
import workflows.payments.models  # noqa: F401
import workflows.procedures.models  # noqa: F401
import workflows.ratings.models  # noqa: F401
import workflows.reminders.models  # noqa: F401
import workflows.zalo.article_models  # noqa: F401
import workflows.zalo.models  # noqa: F401
