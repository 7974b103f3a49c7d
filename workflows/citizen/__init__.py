"""Citizens' self-service: public dossier lookup (three ways), feedback cases, news and the Zalo keywords."""
