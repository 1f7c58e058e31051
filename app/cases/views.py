"""Views (being built)."""

from app.cases import bp


@bp.route("/")
def list_cases():
    return "cases"
