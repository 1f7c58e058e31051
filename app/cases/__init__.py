"""Cases referred to the board, and each role's presentation of them."""

from flask import Blueprint

bp = Blueprint("cases", __name__, url_prefix="/cases", template_folder="templates")

from app.cases import views  # noqa: E402, F401
