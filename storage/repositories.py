"""Every repository over one Database, for the wiring to hand to handlers and jobs."""

from __future__ import annotations

from dataclasses import dataclass

from storage.answers import AnswerRepository
from storage.audit import AuditLog
from storage.closures import ClosureDays
from storage.db import Database
from storage.groups import QuestionGroups
from storage.imports import PendingImports
from storage.inbox import EventInbox
from storage.meetings import MeetingRepository
from storage.officers import OfficerDirectory
from storage.people import People
from storage.personal_data import PersonalData
from storage.questions import QuestionRepository
from storage.reminders import ReminderRepository
from storage.retention import Retention
from storage.search import QuestionSearch
from storage.sweeps import Deliveries, Sweeps


@dataclass(frozen=True)
class Repositories:
    meetings: MeetingRepository
    officers: OfficerDirectory
    closure_days: ClosureDays
    questions: QuestionRepository
    answers: AnswerRepository
    audit: AuditLog
    pending_imports: PendingImports
    reminders: ReminderRepository
    inbox: EventInbox
    sweeps: Sweeps
    deliveries: Deliveries
    people: People
    search: QuestionSearch
    groups: QuestionGroups
    personal_data: PersonalData
    retention: Retention

    @classmethod
    def on(cls, db: Database) -> Repositories:
        return cls(
            meetings=MeetingRepository(db),
            officers=OfficerDirectory(db),
            closure_days=ClosureDays(db),
            questions=QuestionRepository(db),
            answers=AnswerRepository(db),
            audit=AuditLog(db),
            pending_imports=PendingImports(db),
            reminders=ReminderRepository(db),
            inbox=EventInbox(db),
            sweeps=Sweeps(db),
            deliveries=Deliveries(db),
            people=People(db),
            search=QuestionSearch(db),
            groups=QuestionGroups(db),
            personal_data=PersonalData(db),
            retention=Retention(db),
        )
