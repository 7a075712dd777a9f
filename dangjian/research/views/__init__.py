"""The research app's pages: overview.py (overview, indicators), risks.py, events.py, visits.py
(research records, rounds, visits), opinions.py (opinions, bulk update, corrections), public.py
(the community's public pages, no sign-in)."""
