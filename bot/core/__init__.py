"""The pure workflow: no Slack, no SQLite, no scheduler imports here."""
