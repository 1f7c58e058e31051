"""Views (being built)."""
from app.patients import bp  # noqa: F401
