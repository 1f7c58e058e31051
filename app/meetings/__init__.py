"""Board meetings and their agendas."""

from flask import Blueprint

bp = Blueprint("meetings", __name__, url_prefix="/meetings", template_folder="templates")

from app.meetings import views  # noqa: E402, F401
