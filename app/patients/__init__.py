"""Patients: registration and identifiers."""

from flask import Blueprint

bp = Blueprint("patients", __name__, url_prefix="/patients", template_folder="templates")

from app.patients import views  # noqa: E402, F401
