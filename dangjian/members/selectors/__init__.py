"""Reads of the members app, always inside the user's scope: the registry (registry.py)."""
