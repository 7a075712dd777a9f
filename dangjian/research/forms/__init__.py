"""The research app's forms: risks.py (risks, research, consultations, events), visits.py (rounds,
assignments, visits), opinions.py (opinions, the public pages, corrections, the bulk update),
filters.py (list filters and the indicators' period)."""
