"""Views (being built)."""
from app.decisions import bp  # noqa: F401
