"""Views (being built)."""

from app.admin import bp


@bp.route("/members")
def list_members():
    return "members"
