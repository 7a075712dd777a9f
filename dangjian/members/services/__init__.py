"""Every write of the members app: the registry (registry.py)."""
