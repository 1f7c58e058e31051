"""Views (being built)."""

from app.catalogue import bp


@bp.route("/")
def list_options():
    return "catalogue"
