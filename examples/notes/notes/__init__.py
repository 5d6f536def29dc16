"""Notes: a Flask app shaped like the ones users deploy.

It is installed as a package (pyproject.toml only), keeps its SQLite database in Flask's instance folder, reads its
SECRET_KEY from instance/config.py, and needs `flask --app notes init-db` once before it can serve.
"""
import os
import sqlite3

import click
from flask import Flask, abort, current_app, g, jsonify, render_template, request, send_from_directory
from werkzeug.utils import secure_filename

VERSION = "1"


def create_app():
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(DATABASE=os.path.join(app.instance_path, "notes.sqlite"))
    app.config.from_pyfile("config.py", silent=True)
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError(f"SECRET_KEY is not set: write it to {app.instance_path}/config.py")
    os.makedirs(app.instance_path, exist_ok=True)

    app.teardown_appcontext(close_db)
    app.cli.add_command(init_db_command)
    app.cli.add_command(migrate_command)

    @app.route("/")
    def index():
        notes = get_db().execute("SELECT body FROM note ORDER BY id").fetchall()
        return render_template("index.html", version=VERSION, notes=[row[0] for row in notes])

    @app.route("/healthz")
    def healthz():
        get_db().execute("SELECT count(*) FROM note").fetchone()
        return jsonify(status="ok", version=VERSION)

    @app.route("/version")
    def version():
        return jsonify(version=VERSION)

    @app.route("/notes", methods=["GET", "POST"])
    def notes():
        db = get_db()
        if request.method == "POST":
            db.execute("INSERT INTO note (body) VALUES (?)", (request.get_data(as_text=True)[:500],))
            db.commit()
        rows = db.execute("SELECT body FROM note ORDER BY id").fetchall()
        return jsonify(version=VERSION, notes=[row[0] for row in rows])

    # Attachments: a multipart upload (Werkzeug spools a large one to a temporary file) kept in the instance folder.
    @app.route("/files", methods=["POST"])
    def upload():
        upload = request.files.get("file")
        name = secure_filename(upload.filename) if upload else ""
        if not name:
            abort(400)
        os.makedirs(uploads_dir(), exist_ok=True)
        upload.save(os.path.join(uploads_dir(), name))
        return jsonify(name=name, size=os.path.getsize(os.path.join(uploads_dir(), name))), 201

    @app.route("/files/<name>")
    def download(name):
        return send_from_directory(uploads_dir(), name)

    return app


def uploads_dir():
    return os.path.join(current_app.instance_path, "uploads")


def get_db():
    if "db" not in g:
        g.db = sqlite3.connect(current_app.config["DATABASE"])
    return g.db


def close_db(_error=None):
    db = g.pop("db", None)
    if db is not None:
        db.close()


@click.command("init-db")
def init_db_command():
    """Create the database: once, before the first request."""
    with current_app.open_resource("schema.sql") as schema:
        get_db().executescript(schema.read().decode())
    click.echo(f"initialized {current_app.config['DATABASE']}")


@click.command("migrate")
def migrate_command():
    """Bring the database up to this version's schema: on every deploy."""
    click.echo(f"schema up to date for version {VERSION}")
