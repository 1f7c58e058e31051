"""The board's figures page: how the board has been working over a period."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template, request
from flask_login import login_required

from app.clinical.vocabulary import SPECIALTIES
from app.figures.forms import PeriodForm
from app.figures.services import figures_between
from app.timestamps import board_today

bp = Blueprint("figures", __name__, url_prefix="/figures", template_folder="templates")

# Without a period chosen: the last twelve months, today included.
DEFAULT_DAYS = 365


@bp.route("/")
@login_required
def board_figures():
    form = PeriodForm(request.args)
    today = board_today()
    if request.args and not form.validate():
        # The typed dates stay in the fields, each problem beside its field.
        return render_template("figures/figures.html", form=form, figures=None), 400
    last_day = form.last_day.data or today
    first_day = form.first_day.data or last_day - timedelta(days=DEFAULT_DAYS - 1)
    figures = figures_between(first_day, last_day)
    return render_template(
        "figures/figures.html",
        form=form,
        figures=figures,
        first_day=first_day,
        last_day=last_day,
        specialties=SPECIALTIES,
    )
