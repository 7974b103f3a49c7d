"""Identity and access of officials and integrations: departments, officials, roles, tokens, API keys."""
