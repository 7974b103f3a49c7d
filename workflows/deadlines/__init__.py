"""Deadlines: appointments, the dossier's clock, work-item due times, reminder predicates and lateness, all
in `service` (`from workflows.deadlines import service as deadlines`)."""
