"""Opinions and the agreed plan for an agenda item."""

from flask import Blueprint

bp = Blueprint("decisions", __name__, template_folder="templates")

from app.decisions import views  # noqa: E402, F401
