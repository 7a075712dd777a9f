"""The research app's models: stability risks and consultations (risks.py), large events
(events.py), research records (research.py), visit rounds, targets and visits (visits.py),
opinions and corrections (opinions.py)."""

from .base import CommunityRecord, day_label
from .events import Event
from .opinions import Correction, Opinion, answer_days, new_tracking_code, normalize_code
from .research import REQUIRED_BY_KIND, Research
from .risks import Consultation, Risk, risk_state_days
from .visits import ResearchRound, Visit, VisitTarget, quarter_of, quarter_title

__all__ = [
    "REQUIRED_BY_KIND",
    "CommunityRecord",
    "Consultation",
    "Correction",
    "Event",
    "Opinion",
    "Research",
    "ResearchRound",
    "Risk",
    "Visit",
    "VisitTarget",
    "answer_days",
    "day_label",
    "new_tracking_code",
    "normalize_code",
    "quarter_of",
    "quarter_title",
    "risk_state_days",
]
