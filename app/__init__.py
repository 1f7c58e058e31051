"""Spine Tumor Board: the application factory."""

from __future__ import annotations

import os

from flask import Flask, render_template
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from app import headers, logs
from app.extensions import csrf, db, login_manager, migrate
from app.warmup import warm_templates_on_first_request
from config import CONFIGS, INSTANCE_DIR, ProductionConfig

# Every module that defines models, so that metadata (and Alembic) sees the whole schema.
MODEL_MODULES = (
    "app.accounts.models",
    "app.patients.models",
    "app.cases.models",
    "app.catalogue.models",
    "app.meetings.models",
    "app.decisions.models",
    "app.audit.models",
    "app.assessment.models",
)


def create_app(config_name: str | None = None, overrides: dict | None = None) -> Flask:
    """Build the application for `config_name` (default: $TUMORBOARD_CONFIG or development)."""
    config_name = config_name or os.environ.get("TUMORBOARD_CONFIG", "development")
    config_class = CONFIGS[config_name]
    if config_class is ProductionConfig and (problems := ProductionConfig.check()):
        raise RuntimeError("Refusing to start in production:\n- " + "\n- ".join(problems))

    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    app.config.from_object(config_class)
    app.config.update(config_class.from_environment())
    if overrides:
        app.config.update(overrides)
    INSTANCE_DIR.mkdir(exist_ok=True)
    if proxies := app.config["TRUSTED_PROXIES"]:
        # The client's address (login throttling, audit trail) and scheme (HTTPS: CSRF checks
        # the referrer) as the nearest `proxies` proxies saw them; anything further left in
        # X-Forwarded-For came from the client and is ignored.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)

    import importlib

    for module in MODEL_MODULES:
        importlib.import_module(module)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(INSTANCE_DIR.parent / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)

    _register_blueprints(app)
    _register_error_pages(app)
    headers.install(app)
    logs.install(app.logger)
    warm_templates_on_first_request(app)
    _register_commands(app)
    _register_template_helpers(app)
    return app


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record):
    """Turn on WAL, foreign keys and a busy timeout on every SQLite connection."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    from flask import current_app, has_app_context

    timeout = current_app.config["SQLITE_BUSY_TIMEOUT_MS"] if has_app_context() else 5000
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(timeout)}")
    cursor.close()


def _register_blueprints(app: Flask) -> None:
    from app.accounts.views import bp as accounts_bp
    from app.admin.views import bp as admin_bp
    from app.assessment.fitness_views import bp as fitness_bp
    from app.assessment.radiosensitivity_views import bp as radiosensitivity_bp
    from app.assessment.urgency_views import bp as urgency_bp
    from app.assessment.views import bp as assessment_bp
    from app.cases.views import bp as cases_bp
    from app.catalogue.views import bp as catalogue_bp
    from app.decisions.views import bp as decisions_bp
    from app.exports.views import bp as exports_bp
    from app.figures.views import bp as figures_bp
    from app.followup.views import bp as followup_bp
    from app.live.stream import bp as live_bp
    from app.meetings.views import bp as meetings_bp
    from app.patients.views import bp as patients_bp

    for blueprint in (
        accounts_bp,
        admin_bp,
        patients_bp,
        cases_bp,
        catalogue_bp,
        meetings_bp,
        decisions_bp,
        assessment_bp,
        radiosensitivity_bp,
        fitness_bp,
        urgency_bp,
        live_bp,
        exports_bp,
        followup_bp,
        figures_bp,
    ):
        app.register_blueprint(blueprint)
    app.add_url_rule("/", endpoint="index", view_func=_index)


def _index():
    from flask import redirect, url_for

    return redirect(url_for("cases.list_cases"))


def _register_error_pages(app: Flask) -> None:
    for code in (400, 403, 404, 405, 409, 500):

        def handler(error, code=code):
            return render_template(f"errors/{code}.html", error=error), code

        app.register_error_handler(code, handler)

    from flask_wtf.csrf import CSRFError

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template("errors/400.html", error=error, csrf=True), 400


def _register_commands(app: Flask) -> None:
    from app.accounts.cli import users_cli
    from app.assessment.cli import radiosensitivity_cli
    from app.audit.cli import audit_cli
    from app.backup.cli import backup_command, restore_command
    from app.catalogue.cli import catalogue_cli
    from app.seed import seed_demo_command

    app.cli.add_command(users_cli)
    app.cli.add_command(catalogue_cli)
    app.cli.add_command(radiosensitivity_cli)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(audit_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


def _register_template_helpers(app: Flask) -> None:
    from zoneinfo import ZoneInfo

    from app.clinical import vocabulary

    zone = ZoneInfo(app.config["BOARD_TIMEZONE"])

    @app.template_filter("local")
    def local_time(value, fmt="%d %b %Y %H:%M"):
        """Show a UTC timestamp in the board's time zone."""
        return value.astimezone(zone).strftime(fmt) if value else "—"

    @app.template_filter("day")
    def day(value):
        return value.strftime("%d %b %Y") if value else "—"

    # Globals, not a context processor: imported macros see globals but not the context.
    app.jinja_env.globals.update(vocab=vocabulary, board_name=app.config["BOARD_NAME"])
