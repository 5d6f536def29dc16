"""unknown_settings finds the names no role takes, from the roles' own argument specs, and the closest one they do."""
from ansible_collections.wsgi.stack.plugins.lookup.unknown_settings import known_settings, unknown_settings


def test_the_roles_settings_are_known():
    known = known_settings()
    for name in ("flask_app_name", "gunicorn_workers", "uwsgi_extra_settings", "nginx_server_names",
                 "python_venv_path"):
        assert name in known
    assert all(name.startswith(("flask_app_", "gunicorn_", "uwsgi_", "nginx_", "python_venv_", "doctor_", "app_server_"))
               for name in known)


def test_a_misspelt_setting_is_reported_with_the_closest_known_one():
    known = known_settings()
    assert unknown_settings(["uwsgi_extra_options", "gunicorn_worker", "flask_app_name"], known) == [
        ("uwsgi_extra_options", "uwsgi_extra_settings"), ("gunicorn_worker", "gunicorn_workers")]


def test_a_name_like_nothing_known_gets_no_suggestion_and_internals_are_never_reported():
    assert unknown_settings(["nginx_zzzzzzzzzzzzzzzzzzzz", "__nginx_host"], known_settings()) == [
        ("nginx_zzzzzzzzzzzzzzzzzzzz", None)]


def test_specs_are_read_from_every_entry_point(tmp_path):
    specs = tmp_path / "demo" / "meta" / "argument_specs.yml"
    specs.parent.mkdir(parents=True)
    specs.write_text("argument_specs:\n  main:\n    options:\n      demo_a: {type: str, default: !unsafe '{{ x }}'}\n"
                     "  other:\n    options:\n      demo_b: {type: int}\n")
    assert known_settings(tmp_path) == {"demo_a", "demo_b"}
