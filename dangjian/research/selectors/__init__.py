"""Every read of the research app, always inside the user's scope: risks.py (risks and events),
visits.py (research records, rounds, coverage, visits), opinions.py (opinions, corrections, the
public reads), indicators.py (the detachment indicators), reminders.py (what falls due)."""

from .reminders import ReminderItem, reminder_items

__all__ = ["ReminderItem", "reminder_items"]
