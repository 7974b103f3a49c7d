"""Reminders to officials: due-soon, overdue, escalation and apology-due, sent once each (`jobs`), and the
officials' in-app notification list (`service`).

Kept import-free so that `workflows.models` can load the tables without the domain."""
