"""The platform under test: HTTP client, database (read-only SQL through the profile), webhook signing, and the
embedded sandbox booted when no target URL is given."""
