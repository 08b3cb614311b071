"""What handlers and jobs need, gathered in one object the wiring builds."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
from bot.core.clock import Clock
from storage.db import Database


@dataclass
class Services:
    settings: Settings
    db: Database
    clock: Clock
