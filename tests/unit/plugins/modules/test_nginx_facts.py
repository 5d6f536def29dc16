"""nginx_facts reads nginx -T's output into the upstreams and sites a doctor compares with the app server."""
import json

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args

from ansible_collections.wsgi.stack.plugins.modules import nginx_facts

NGINX_T = r"""# configuration file /etc/nginx/nginx.conf:
user www-data;
events { worker_connections 1024; }
http {
    client_max_body_size 2m;
    include /etc/nginx/conf.d/*.conf;
    include /etc/nginx/sites-enabled/*;
}

# configuration file /etc/nginx/conf.d/wsgi-stack-default-server.conf:
server {
    listen 80 default_server;
    return 444;
}

# configuration file /etc/nginx/sites-enabled/hello.conf:
include /etc/nginx/wsgi-stack/upstreams/hello.conf;
server {
    listen 80;
    listen [::]:80;
    server_name example.com   www.example.com;
    add_header Content-Security-Policy "default-src 'self'; frame-ancestors 'self'" always;
    add_header X-Quoted 'it\'s {braced} # not a comment';
    add_header X-Escaped a\;b;
    client_max_body_size 10m;
    location /static/ {
        alias /srv/hello/current/code/static/;
        location ~ /\. {
            return 404;
        }
        location ~ "[.-][0-9a-fA-F]{8,}\.[A-Za-z0-9]+$" {
            expires off;
        }
    }
    location / {
        proxy_pass http://hello_app;
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-Prefix "";
        proxy_set_header X-Request "${request_id}x";
        proxy_read_timeout 60s;
        if ($request_method = POST) {
            proxy_set_header X-Post yes;
        }
    }
    location /legacy/ {
        include uwsgi_params;
        uwsgi_pass unix:/run/legacy/uwsgi.sock;
        access_by_lua_block {
            -- it's Lua: { n = #t } and "quotes" are not nginx's
            ngx.exit(403)
        }
    }
}

# configuration file /etc/nginx/wsgi-stack/upstreams/hello.conf:
upstream hello_app {
    zone hello_app 64k;
    # app1.example.com
    server 127.0.0.11:8000 weight=1 max_fails=1 fail_timeout=10s;
    server 127.0.0.12:8000 weight=2 max_fails=1 fail_timeout=10s down;
    keepalive 16;
}

# configuration file /etc/nginx/uwsgi_params:
uwsgi_param QUERY_STRING $query_string;
uwsgi_param REQUEST_METHOD $request_method;

"""


@pytest.fixture
def nginx(monkeypatch):
    answer = {"rc": 0, "out": NGINX_T, "err": "nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\n"}
    monkeypatch.setattr(AnsibleModule, "get_bin_path", lambda self, name, **kwargs: "/bin/true")
    monkeypatch.setattr(AnsibleModule, "run_command",
                        lambda self, argv, **kwargs: (answer["rc"], answer["out"], answer["err"]))
    return answer


def run(capsys, **args):
    with patch_module_args({**args, "_ansible_check_mode": True}), pytest.raises(SystemExit):
        nginx_facts.main()
    return json.loads(capsys.readouterr().out)


def test_the_upstreams_and_sites_come_out_of_the_files_nginx_reads(nginx, capsys):
    found = run(capsys)
    assert (found["changed"], found["valid"], found["error"]) == (False, True, "")
    assert found["upstreams"] == {"hello_app": ["127.0.0.11:8000 weight=1 max_fails=1 fail_timeout=10s",
                                                "127.0.0.12:8000 weight=2 max_fails=1 fail_timeout=10s down"]}
    # In the order nginx reads them: conf.d first, then the sites.
    default, site = found["servers"]
    assert site["file"] == "/etc/nginx/sites-enabled/hello.conf"
    assert default["file"] == "/etc/nginx/conf.d/wsgi-stack-default-server.conf"
    assert site["listen"] == ["80", "[::]:80"] and default["listen"] == ["80 default_server"]
    assert site["server_names"] == ["example.com", "www.example.com"] and default["server_names"] == []


def test_a_server_s_own_body_limit_wins_over_the_http_block_s_and_nginx_s_own(nginx, capsys):
    default, site = run(capsys)["servers"]
    assert (site["client_max_body_size"], default["client_max_body_size"]) == ("10m", "2m")
    nginx["out"] = NGINX_T.replace("    client_max_body_size 2m;\n", "")
    assert run(capsys)["servers"][0]["client_max_body_size"] == "1m"


def test_locations_nested_or_not_with_their_directives_read_as_nginx_reads_quotes(nginx, capsys):
    site = run(capsys)["servers"][1]
    matches = [location["match"] for location in site["locations"]]
    assert matches == ["/static/", "~ /\\.", "~ [.-][0-9a-fA-F]{8,}\\.[A-Za-z0-9]+$", "/", "/legacy/"]
    static, dotfiles, fingerprinted, app, legacy = site["locations"]
    assert static["directives"] == {"alias": "/srv/hello/current/code/static/"}
    assert dotfiles["directives"] == {"return": "404"}
    assert app["directives"]["proxy_pass"] == "http://hello_app"
    assert app["directives"]["proxy_read_timeout"] == "60s"
    # A header its if block sets counts as the location's.
    assert app["directives"]["proxy_set_header"] == ["Host $host", "X-Forwarded-Prefix ", "X-Request ${request_id}x",
                                                     "X-Post yes"]
    # An include is followed where it stands, relative to nginx's directory; a Lua block is skipped whole.
    assert legacy["directives"] == {"uwsgi_param": ["QUERY_STRING $query_string", "REQUEST_METHOD $request_method"],
                                    "uwsgi_pass": "unix:/run/legacy/uwsgi.sock"}


def test_a_configuration_nginx_refuses_is_reported_with_its_message(nginx, capsys):
    nginx.update(rc=1, out="", err='nginx: [emerg] unknown directive "no_such_directive" in /etc/nginx/x.conf:3\n')
    found = run(capsys)
    assert (found["valid"], found["servers"], found["upstreams"]) == (False, [], {})
    assert found["error"] == 'nginx: [emerg] unknown directive "no_such_directive" in /etc/nginx/x.conf:3'
    assert not found.get("failed")


def test_no_nginx_to_run_fails_naming_the_option(capsys, monkeypatch):
    monkeypatch.setattr(AnsibleModule, "get_bin_path", lambda self, name, **kwargs: None)
    found = run(capsys)
    assert found["failed"] and "binary: no nginx to run" in found["msg"]
