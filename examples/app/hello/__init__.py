"""A small Flask app used to show and test the stack: a page, a health check and an echo of the request."""
import os
import socket
import sys
import time

from flask import Flask, jsonify, render_template, request, url_for

# The release's version, which a deploy of new code changes.
VERSION = "1"


def create_app():
    app = Flask(__name__)

    @app.after_request
    def mark_app_response(response):
        # Lets tests tell a response of the app from one nginx served on its own.
        response.headers["X-Served-By"] = "flask"
        # Which host answered, behind a balancer.
        response.headers["X-App-Host"] = socket.gethostname()
        return response

    @app.route("/")
    def index():
        return render_template("index.html", greeting=os.environ.get("HELLO_GREETING", "Hello"))

    @app.route("/healthz")
    def healthz():
        return jsonify(status="ok")

    @app.route("/version")
    def version():
        return jsonify(version=VERSION, host=socket.gethostname())

    @app.route("/slow", methods=["GET", "POST"])
    def slow():
        # A deliberately slow answer, to show the app server's request time limit and which requests a balancer
        # sends again: each one is logged as it starts, with the id it was given.
        seconds = min(float(request.args.get("seconds", "1")), 120.0)
        print(f"slow {request.method} {request.args.get('id', '-')} started", file=sys.stderr, flush=True)
        time.sleep(seconds)
        return jsonify(slept=seconds)

    @app.route("/whoami")
    def whoami():
        return jsonify(
            remote_addr=request.remote_addr,
            scheme=request.scheme,
            host=request.host,
            url=url_for("whoami", _external=True),
            static_url=url_for("static", filename="style.css", _external=True),
        )

    @app.route("/whoami/forwarded")
    def whoami_forwarded():
        # The forwarding headers as they reached the app, to show which ones nginx sets and which it drops.
        names = ["Forwarded", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Port",
                 "X-Forwarded-Prefix", "X-Real-IP"]
        return jsonify({name: request.headers.get(name) for name in names})

    return app


app = create_app()
