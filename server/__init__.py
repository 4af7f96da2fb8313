"""Fieldbook: the account manager's workbench. `create_app` builds the Flask app."""

import os

from flask import Flask

from config import CONFIGS, Config, ProductionConfig


def create_app(config_class: type[Config] | None = None) -> Flask:
    if config_class is None:
        config_class = CONFIGS[os.environ.get("FIELDBOOK_ENV", "development")]
    if config_class is ProductionConfig:
        ProductionConfig.check()

    app = Flask(__name__, instance_path=str(_instance_path()))
    app.config.from_object(config_class)
    os.makedirs(app.instance_path, exist_ok=True)

    from server import models  # noqa: F401  (every table registered before migrate/api)
    from server.auth import security
    from server.errors import register_error_handlers
    from server.extensions import api, compress, db, migrate

    db.init_app(app)
    compress.init_app(app)
    migrate.init_app(app, db, directory=str(_project_root() / "migrations"), compare_type=True)
    security.init_app(app)
    api.init_app(app)
    register_error_handlers(app)

    from server.agenda.routes import blp as agenda_blp
    from server.auth.routes import blp as auth_blp
    from server.complaints.routes import blp as complaints_blp
    from server.complaints.routes import categories_blp as complaint_categories_blp
    from server.customers.routes import blp as customers_blp
    from server.customers.routes import tiers_blp
    from server.imports.routes import blp as imports_blp
    from server.plans.routes import blp as plans_blp
    from server.sync.routes import blp as sync_blp
    from server.tasks.routes import blp as tasks_blp
    from server.team.routes import teams_blp, users_blp
    from server.visits.routes import blp as visits_blp
    from server.warnings.routes import blp as warnings_blp

    for blueprint in (
        auth_blp,
        customers_blp,
        tiers_blp,
        users_blp,
        teams_blp,
        imports_blp,
        plans_blp,
        visits_blp,
        tasks_blp,
        complaints_blp,
        complaint_categories_blp,
        warnings_blp,
        agenda_blp,
        sync_blp,
    ):
        api.register_blueprint(blueprint)

    from server.webclient import blp as webclient_blp

    # Last: its catch-all route yields to every API route.
    app.register_blueprint(webclient_blp)

    from server import cli

    cli.register(app)
    return app


def _project_root():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent


def _instance_path():
    return _project_root() / "instance"
