"""The doctor's verdict names the layer that broke, its cause and its fix, from what the doctor read of a host."""
import copy

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.wsgi.stack.plugins.filter.doctor_verdict import doctor_verdict

SITE = "/etc/nginx/sites-enabled/hello.conf"
APP_LOCATION = {"match": "/", "directives": {
    "proxy_pass": "http://hello_app",
    "proxy_set_header": ["Host $host", "X-Forwarded-For $remote_addr", "X-Forwarded-Proto $scheme",
                         "X-Forwarded-Prefix \"\""],
    "proxy_read_timeout": "60s"}}
HEALTHY = {
    "app": {
        "name": "hello", "server": "gunicorn", "unit": "gunicorn-hello", "listen": "unix:/run/hello/app.sock",
        "health_path": "/healthz", "health_status": 200, "nginx_user": "www-data", "socket_user": "hello", "socket_group": "www-data",
        "socket_mode": "0660", "timeout": 30, "timeout_variable": "gunicorn_timeout",
        "units": {"gunicorn-hello.socket": {"load": "loaded", "active": "active", "enabled": "enabled", "restarts": "",
                                            "listen": ["/run/hello/app.sock (Stream)"]},
                  "gunicorn-hello.service": {"load": "loaded", "active": "active", "enabled": "enabled",
                                             "restarts": "0", "listen": []}},
        "socket": {"exists": True, "pw_name": "hello", "gr_name": "www-data", "mode": "0660"},
        "probe": {"status": 200, "reason": "OK", "error": None},
        "journal": ["[INFO] Booting worker with pid: 12"], "since": 600,
    },
    "web": {
        "unit": "nginx.service", "user": "www-data",
        "units": {"nginx.service": {"load": "loaded", "active": "active", "enabled": "enabled", "restarts": "0"}},
        "nginx": {"valid": True, "error": "", "upstreams": {"hello_app": ["unix:/run/hello/app.sock"]},
                  "servers": [{"file": SITE, "listen": ["8080"], "server_names": ["example.test", "*.example.test"],
                               "client_max_body_size": "10m",
                               "locations": [{"match": "/static/", "directives": {"alias": "/srv/hello/static/"}},
                                             APP_LOCATION]}]},
        "site_file": SITE, "upstream": "hello_app", "expected_servers": ["unix:/run/hello/app.sock"],
        "names": ["example.test", "www.example.test"], "location": "/", "prefix": "",
        "read_timeout_variable": "nginx_upstream_read_timeout", "body_size_variable": "nginx_client_max_body_size",
        "client_max_body_size": "10m",
        "static": {"location": "/static/", "dir": "/srv/hello/static", "dir_exists": True, "sample": "/static/a.css",
                   "probe": {"status": 200}},
        "probes": [{"item": ["example.test", "http"], "status": 200, "reason": "OK"},
                   {"item": ["www.example.test", "http"], "status": 200, "reason": "OK"}],
        "probe_path": "/healthz", "health_status": 200, "app_scheme": "http", "since": 600, "since_stamp": "2026/12/05 10:00:00",
        "error_log": ["2026/12/05 09:59:59 [error] 7#7: *1 connect() failed (111: Connection refused) while "
                      "connecting to upstream"],
    },
}


def broken(change):
    observed = copy.deepcopy(HEALTHY)
    change(observed)
    return doctor_verdict(observed)


def failures(verdict):
    return {(layer["layer"], item["id"]): item for layer in verdict["layers"] for item in layer["findings"]}


def app_directives(observed):
    return observed["web"]["nginx"]["servers"][0]["locations"][1]["directives"]


def without_header(observed, header):
    app_directives(observed)["proxy_set_header"] = [line for line in app_directives(observed)["proxy_set_header"]
                                                    if not line.startswith(header)]


def set_directive(observed, name, value):
    app_directives(observed)[name] = value


def test_a_healthy_host_passes_every_layer_in_the_order_a_request_crosses_them():
    verdict = doctor_verdict(copy.deepcopy(HEALTHY))
    assert verdict["ok"] and failures(verdict) == {}
    assert [layer["layer"] for layer in verdict["layers"]] == [
        "services", "nginx configuration", "app server", "upstream", "server names", "site", "static files",
        "forwarded headers", "timeouts", "recent errors"]
    assert verdict["lines"][0].startswith("ok   services: nginx.service active; gunicorn-hello.socket active")


def test_an_error_older_than_the_window_is_not_counted_and_a_newer_one_is():
    def newer(observed):
        observed["web"]["error_log"][0] = observed["web"]["error_log"][0].replace("09:59:59", "10:00:00")
    assert ("recent errors", "upstream_refused") in failures(broken(newer))


@pytest.mark.parametrize(("change", "layer", "identifier", "words"), [
    (lambda o: o["app"]["units"]["gunicorn-hello.socket"].update(active="inactive"), "services", "unit_inactive",
     "gunicorn-hello.socket is inactive"),
    (lambda o: o["web"]["units"]["nginx.service"].update(enabled="disabled"), "services", "unit_disabled",
     "will not start after a reboot"),
    (lambda o: o["web"]["nginx"].update(upstreams={"hello_app": ["unix:/run/hello/other.sock"]}), "upstream",
     "upstream_mismatch", "sends the app's requests to unix:/run/hello/other.sock"),
    (lambda o: o["app"]["socket"].update(mode="0600"), "app server", "socket_permissions", "mode 0600"),
    (lambda o: o["app"]["socket"].update(exists=False), "app server", "socket_missing", "/run/hello/app.sock"),
    (lambda o: without_header(o, "X-Forwarded-Proto"), "forwarded headers", "forwarded_headers",
     "X-Forwarded-Proto"),
    (lambda o: o["web"]["nginx"]["servers"][0].update(server_names=["other.test"]), "server names", "server_name",
     "www.example.test"),
    (lambda o: o["web"]["static"].update(dir_exists=False), "static files", "static_dir_missing", "/srv/hello/static"),
    (lambda o: o["web"]["static"].update(probe={"status": 403}), "static files", "static_unreadable",
     "may not read"),
    (lambda o: o["web"]["nginx"].update(valid=False, error="nginx: [emerg] unknown directive \"x\" in /a.conf:3\n"
                                        "nginx: configuration file /etc/nginx/nginx.conf test failed\n"),
     "nginx configuration", "nginx_syntax", "unknown directive \"x\" in /a.conf:3"),
    (lambda o: o["app"]["units"]["gunicorn-hello.socket"].update(listen=["0.0.0.0:8000 (Stream)"]), "app server",
     "wildcard_bind", "0.0.0.0:8000"),
    (lambda o: o["app"]["units"]["gunicorn-hello.socket"].update(listen=["127.0.0.1:9 (Stream)"]), "app server",
     "listen_mismatch", "listens on 127.0.0.1:9"),
    (lambda o: o["app"]["journal"].extend(["Traceback (most recent call last):", '  File "/a.py", line 1',
                                           "    import nope", "ModuleNotFoundError: No module named 'nope'",
                                           "Traceback (most recent call last):", '  File "/g.py", line 9',
                                           "gunicorn.errors.HaltServer: <HaltServer 'Worker failed to boot.' 3>"]),
     "recent errors", "app_import", "No module named 'nope'"),
    (lambda o: o["app"].update(probe={"status": 404, "reason": "NOT FOUND"}), "app server", "app_error",
     "404 NOT FOUND on its health path /healthz, not 200"),
    (lambda o: o["web"]["probes"][0].update(status=301, reason="Moved Permanently"), "site", "site_answer",
     "http://example.test/healthz through nginx: 301"),
    (lambda o: o["app"].update(probe={"status": None, "error": {"errno": "EACCES", "message": "denied"}}),
     "app server", "socket_permissions", "may not connect"),
    (lambda o: set_directive(o, "proxy_read_timeout", "10s"), "timeouts", "timeout_order",
     "nginx waits 10 s"),
    (lambda o: o["web"]["error_log"].append("2026/12/05 10:01:00 [error] 7#7: *9 upstream timed out (110: Connection "
                                            "timed out) while reading response header from upstream"),
     "recent errors", "upstream_timeout", "nginx_upstream_read_timeout"),
    (lambda o: o["app"]["journal"].append("[CRITICAL] WORKER TIMEOUT (pid:12)"), "recent errors", "app_timeout",
     "gunicorn_timeout"),
    (lambda o: o["web"]["error_log"].append("2026/12/05 10:01:00 [error] 7#7: *9 client intended to send too large "
                                            "body: 11534336 bytes"),
     "recent errors", "body_too_large", "11534336 bytes went over client_max_body_size"),
    (lambda o: o["app"]["journal"].extend(["gunicorn-hello.service: Main process exited, code=exited, status=3/NOTIMPLEMENTED",
                                           "gunicorn-hello.service: Failed with result 'exit-code'."] * 2),
     "recent errors", "unit_failed", "failed 2 times in the last 600 s (Failed with result 'exit-code'.)"),
    (lambda o: o["web"]["probes"][1].update(status=None, error={"errno": "timeout"}), "site", "site_answer",
     "http://www.example.test/healthz through nginx: timeout"),
])
def test_each_breakage_is_named_in_its_layer(change, layer, identifier, words):
    verdict = broken(change)
    assert not verdict["ok"]
    found = failures(verdict)
    assert (layer, identifier) in found, found
    assert words in found[(layer, identifier)]["cause"]
    assert found[(layer, identifier)]["fix"]
    assert f"FAIL {layer}: " in "\n".join(verdict["lines"])


def test_the_fix_names_the_variable_to_raise():
    verdict = broken(lambda o: o["web"]["error_log"].append(
        "2026/12/05 10:01:00 [error] 7#7: *9 client intended to send too large body: 20000000 bytes"))
    assert "nginx_client_max_body_size (now 10m)" in failures(verdict)[("recent errors", "body_too_large")]["fix"]


def test_uwsgi_s_protocol_passes_the_client_s_host_on_its_own():
    def uwsgi(observed):
        observed["web"]["nginx"]["servers"][0]["locations"][1]["directives"] = {
            "uwsgi_pass": "hello_app", "uwsgi_param": ["HTTP_X_FORWARDED_FOR $remote_addr",
                                                       "HTTP_X_FORWARDED_PROTO $scheme"]}
    assert failures(broken(uwsgi)) == {}


def test_a_configuration_that_does_not_load_is_not_judged_further():
    verdict = broken(lambda o: o["web"]["nginx"].update(valid=False, error="nginx: [emerg] bad\n", servers=[]))
    assert [layer["layer"] for layer in verdict["layers"]] == ["services", "nginx configuration", "app server",
                                                               "recent errors"]


def test_an_app_host_behind_a_balancer_has_only_the_app_s_layers():
    verdict = broken(lambda o: (o.update(web=None), o["app"]["journal"].append("[CRITICAL] WORKER TIMEOUT (pid:12)")))
    assert [layer["layer"] for layer in verdict["layers"]] == ["services", "app server", "recent errors"]
    assert ("recent errors", "app_timeout") in failures(verdict)


def test_input_without_app_and_web_is_refused():
    with pytest.raises(AnsibleFilterError, match="app and web"):
        doctor_verdict({"app": None})


def test_a_web_host_without_nginx_yet_has_only_its_services_layer_for_it():
    def no_nginx(observed):
        observed["web"].update(nginx=None, units={"nginx.service": {"load": "not-found", "active": "inactive"}})
    verdict = broken(no_nginx)
    assert ("services", "unit_missing") in failures(verdict)
    assert [layer["layer"] for layer in verdict["layers"]] == ["services", "app server", "recent errors"]


def test_a_request_error_s_traceback_alone_is_no_failure_to_start():
    verdict = broken(lambda o: o["app"]["journal"].extend(
        ["Traceback (most recent call last):", '  File "/a.py", line 1', "KeyError: 'user'"]))
    assert verdict["ok"], failures(verdict)


def test_over_https_the_http_name_redirects_and_https_answers_as_the_app():
    def tls(observed):
        observed["web"].update(app_scheme="https", probes=[
            {"item": ["example.test", "http"], "status": 301, "reason": "Moved Permanently"},
            {"item": ["example.test", "https"], "status": 200, "reason": "OK",
             "certificate": {"names": ["example.test"], "days_left": 60}}])
        observed["web"]["names"] = ["example.test"]
    assert broken(tls)["ok"]
