"""Views (being built)."""

from app.meetings import bp


@bp.route("/")
def list_meetings():
    return "meetings"
