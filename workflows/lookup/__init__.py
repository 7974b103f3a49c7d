"""The public dossier lookup (by code, by ID number, by name), its second-factor budgets, and the citizen's
issued documents behind it."""
