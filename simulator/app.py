"""Flask application factory for the simulated TikTok Shop.

Every answer is JSON, errors included, because the connector (and TikTok's own clients) parse the
body of every response: an HTML error page would look like a transport failure.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from simulator.api import sim_api, tiktok_api
from simulator.auth_api import auth_api
from simulator.dashboard.views import dashboard
from simulator.envelope import Refusal, envelope
from simulator.event_api import event_api
from simulator.gateway import INVALID_METHOD, INVALID_PATH, PartnerApp, install
from simulator.journal_api import journal_api
from simulator.product_api import product_api
from simulator.requestlimits import DEFAULT_MAX_REQUEST_BODY, BodyCap
from simulator.runner import JobRunner
from simulator.store import Store

INTERNAL_ERROR = 50000
BAD_REQUEST = 40000


def create_app(store: Store, runner: JobRunner, partner: PartnerApp, external_data_key: str,
               max_request_body: int = DEFAULT_MAX_REQUEST_BODY) -> Flask:
    """The app over one store; handlers reach the store, runner and keys through `app.extensions["sim"]`.

    A body over `max_request_body` is refused unread (`requestlimits.BodyCap`)."""
    app = Flask("simulator")
    app.wsgi_app = BodyCap(app.wsgi_app, max_request_body)  # type: ignore[method-assign]
    app.json.sort_keys = False
    app.extensions["sim"] = {"store": store, "runner": runner, "external_data_key": external_data_key}
    install(app, partner)
    app.register_blueprint(tiktok_api)
    app.register_blueprint(sim_api)
    app.register_blueprint(product_api)
    app.register_blueprint(auth_api)
    app.register_blueprint(event_api)
    app.register_blueprint(journal_api)
    app.register_blueprint(dashboard)

    @app.errorhandler(Refusal)
    def refused(error: Refusal):
        """Any TikTok-side refusal a handler raises: its code and message in the envelope, its HTTP status."""
        return jsonify(envelope(error.code, error.message)), error.status

    @app.errorhandler(NotFound)
    def invalid_path(error: NotFound):
        """TikTok's gateway answer for a path no endpoint serves (observed: HTTP 404, 36009009)."""
        message = "Invalid path. The specified path does not match any available endpoint."
        return jsonify(envelope(INVALID_PATH, message)), 404

    @app.errorhandler(MethodNotAllowed)
    def invalid_method(error: MethodNotAllowed):
        message = "Invalid method. The HTTP method used is not supported by this endpoint."
        return jsonify(envelope(INVALID_METHOD, message)), 405

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        return jsonify(envelope(status * 100, f"{error.name}: {error.description}")), status

    @app.errorhandler(RecursionError)
    def too_deep(error: RecursionError):
        """A JSON body nested deeper than the parser's recursion limit: the client's fault, not ours."""
        return jsonify(envelope(BAD_REQUEST, "Bad Request: the JSON body is nested too deeply")), 400

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        logging.getLogger("simulator").exception("request failed")
        return jsonify(envelope(INTERNAL_ERROR, f"internal error: {error}")), 500

    return app
