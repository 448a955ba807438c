"""Flask application factory for the simulated TikTok Shop.

Every answer is JSON, errors included, because the connector (and TikTok's own clients) parse the
body of every response: an HTML error page would look like a transport failure.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from simulator.api import envelope, sim_api, tiktok_api
from simulator.runner import JobRunner
from simulator.store import Store

INTERNAL_ERROR = 50000


def create_app(store: Store, runner: JobRunner) -> Flask:
    """The app over one store; handlers reach both through `app.extensions["sim"]`."""
    app = Flask("simulator")
    app.json.sort_keys = False
    app.extensions["sim"] = {"store": store, "runner": runner}
    app.register_blueprint(tiktok_api)
    app.register_blueprint(sim_api)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        return jsonify(envelope(status * 100, f"{error.name}: {error.description}")), status

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        logging.getLogger("simulator").exception("request failed")
        return jsonify(envelope(INTERNAL_ERROR, f"internal error: {error}")), 500

    return app
