"""The catalogue of documented treatment options."""

from flask import Blueprint

bp = Blueprint("catalogue", __name__, url_prefix="/catalogue", template_folder="templates")

from app.catalogue import views  # noqa: E402, F401
