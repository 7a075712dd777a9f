"""Every write of the research app, one function per action: risks.py (the risk register),
research.py (research records), events.py (large events), visits.py (rounds and visits),
opinions.py (opinions, answers, progress, ratings, corrections)."""
