"""Fieldbook: the account manager's workbench. `create_app` builds the Flask app."""

import os
from pathlib import Path

import click
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import CONFIGS, Config, ProductionConfig
from server import (
    http,
    models,  # noqa: F401  (every table registered before migrate/api)
)
from server.agenda.routes import blp as agenda_blp
from server.audit.routes import blp as audit_blp
from server.auth import security, throttle
from server.auth.routes import blp as auth_blp
from server.campaigns.routes import blp as campaigns_blp
from server.churn.cli import churn_cli
from server.churn.routes import blp as churn_blp
from server.complaints.routes import blp as complaints_blp
from server.complaints.routes import categories_blp as complaint_categories_blp
from server.customers.routes import blp as customers_blp
from server.customers.routes import tiers_blp
from server.dashboard.routes import blp as dashboard_blp
from server.errors import register_error_handlers
from server.extensions import api, compress, db, migrate
from server.health import blp as health_blp
from server.imports.cli import import_cli
from server.imports.routes import blp as imports_blp
from server.jobs.cli import jobs_cli
from server.jobs.routes import blp as jobs_blp
from server.photos import store as photo_store
from server.photos.routes import blp as photos_blp
from server.plans.cli import plans_cli
from server.plans.routes import blp as plans_blp
from server.privacy.routes import blp as access_log_blp
from server.reviews.routes import blp as reviews_blp
from server.sync.cli import sync_cli
from server.sync.routes import blp as sync_blp
from server.tasks.routes import blp as tasks_blp
from server.team.cli import users_cli
from server.team.routes import teams_blp, users_blp
from server.transaction import Fieldbook
from server.visits.routes import blp as visits_blp
from server.warnings.cli import warnings_cli
from server.warnings.routes import blp as warnings_blp
from server.webclient import blp as webclient_blp

PROJECT_ROOT = Path(__file__).resolve().parent.parent

API_BLUEPRINTS = (
    health_blp,
    auth_blp,
    customers_blp,
    tiers_blp,
    users_blp,
    teams_blp,
    imports_blp,
    plans_blp,
    visits_blp,
    photos_blp,
    tasks_blp,
    complaints_blp,
    complaint_categories_blp,
    warnings_blp,
    churn_blp,
    agenda_blp,
    sync_blp,
    jobs_blp,
    campaigns_blp,
    reviews_blp,
    dashboard_blp,
    audit_blp,
    access_log_blp,
)
# Each domain owns its commands (`fieldbook plans generate`, ...).
COMMANDS: list[click.Command] = [
    churn_cli,
    import_cli,
    jobs_cli,
    plans_cli,
    sync_cli,
    users_cli,
    warnings_cli,
]
try:
    from server.demo.cli import demo_cmd
except ModuleNotFoundError as missing:  # Faker comes with the `demo` extra only.
    if missing.name != "faker":
        raise
else:
    COMMANDS.append(demo_cmd)


def create_app(config_class: type[Config] | None = None) -> Flask:
    if config_class is None:
        config_class = CONFIGS[os.environ.get("FIELDBOOK_ENV", "development")]
    if config_class is ProductionConfig:
        ProductionConfig.check()

    app = Fieldbook(__name__, instance_path=str(PROJECT_ROOT / "instance"))
    app.config.from_object(config_class)
    os.makedirs(app.instance_path, exist_ok=True)
    if app.config["PROXY_HOPS"]:
        # Trust exactly as many X-Forwarded-* entries as there are proxies in front:
        # a client cannot then pick its own address (sign-in throttles key on it).
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    db.init_app(app)
    compress.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), compare_type=True)
    security.init_app(app)
    http.init_app(app)
    photo_store.init_app(app)
    api.init_app(app)
    register_error_handlers(app)

    for blueprint in API_BLUEPRINTS:
        api.register_blueprint(blueprint)
    throttle.init_app(app)  # wraps the sign-in view, so after the blueprints
    # Last: its catch-all route yields to every API route.
    app.register_blueprint(webclient_blp)

    for command in COMMANDS:
        app.cli.add_command(command)
    return app
