"""Typed domain errors; the wiring turns each into one friendly ephemeral message."""

from __future__ import annotations


class DomainError(Exception):
    """An expected refusal: ``message`` is written for the person who asked."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotPermitted(DomainError):
    """The actor's roles do not allow the action."""


class NotFound(DomainError):
    """A question, meeting, officer role or answer that does not exist."""


class InvalidInput(DomainError):
    """Something the user typed is empty, malformed or out of range."""


class IllegalTransition(DomainError):
    """The question's state does not allow this change; nothing was changed."""


class Conflict(DomainError):
    """The change clashes with what is already recorded (a duplicate, a pending transfer)."""


class DeadlinePassed(InvalidInput):
    """A computed deadline (agenda publication, answer due) is already in the past."""
