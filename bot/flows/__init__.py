"""Workflows: each takes the services and a request, uses the core and storage, and says what
happened. Slack calls live in the handlers and in the sending flows, never in storage."""
