"""HTTPS as a browser and a TLS scanner see it: redirect, HSTS, headers, certificates, unknown names, renewals."""
import datetime
import hashlib
import json
import re
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest
import yaml
from cryptography import x509

from conftest import REPO, assert_tag_runs_alone, converge, run_doctor, run_site, run_sites, stack_of

NGINX_DEFAULTS = yaml.safe_load((REPO / "roles" / "nginx" / "defaults" / "main.yml").read_text())
CA_PATH = "/etc/nginx/tls/wsgi-stack-ca/ca.crt"

SECURITY_HEADERS = {
    "X-Frame-Options": "SAMEORIGIN",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None


def tls_settings(host):
    variables = host.ansible.get_variables()
    return variables["nginx_server_names"][0], int(variables["nginx_http_port"]), int(variables["nginx_https_port"])


def trusted_root(host, tmp_path):
    """The root a client must trust: the host's own CA, or Pebble's root for ACME certificates."""
    path = tmp_path / "root.pem"
    if path.exists():
        return path
    if host.ansible.get_variables()["nginx_tls_source"] == "selfsigned":
        pem = host.file(CA_PATH).content_string
    else:
        pem = host.check_output(
            "python3 -c \"import urllib.request; print(urllib.request.urlopen('https://127.0.0.1:15000/roots/0').read().decode())\""
        )
    path.write_text(pem)
    return path


def https_get(host, tmp_path, path="/", server_name=None, headers=None):
    name, http_port, https_port = tls_settings(host)
    context = ssl.create_default_context(cafile=str(trusted_root(host, tmp_path)))
    connection = socket.create_connection(("127.0.0.1", https_port), timeout=10)
    wrapped = context.wrap_socket(connection, server_hostname=server_name or name)
    extra = "".join(f"{key}: {value}\r\n" for key, value in (headers or {}).items())
    request = f"GET {path} HTTP/1.1\r\nHost: {server_name or name}\r\n{extra}Connection: close\r\n\r\n".encode()
    wrapped.sendall(request)
    chunks = []
    while chunk := wrapped.recv(65536):
        chunks.append(chunk)
    head, blank_line, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {}
    for line in lines[1:]:
        key, separator, value = line.partition(": ")
        headers[key.lower()] = value
    return int(lines[0].split()[1]), headers, body


def test_http_redirects_to_https(host):
    name, http_port, https_port = tls_settings(host)
    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(f"http://127.0.0.1:{http_port}/healthz?x=1", headers={"Host": name})
    with pytest.raises(urllib.error.HTTPError) as redirect:
        opener.open(request, timeout=10)
    assert redirect.value.code == 301
    assert redirect.value.headers["Location"] == f"https://{name}:{https_port}/healthz?x=1"


@pytest.mark.parametrize(("path", "status"), [("/", 200), ("/no-such-page", 404), ("/static/style.css", 200)])
def test_https_answers_with_hsts_and_security_headers(host, tmp_path, path, status):
    got_status, headers, body = https_get(host, tmp_path, path)
    assert got_status == status
    assert headers["strict-transport-security"] == "max-age=63072000"
    for name, value in SECURITY_HEADERS.items():
        assert headers[name.lower()] == value, name
    assert "default-src 'self'" in headers["content-security-policy"]
    assert "server" in headers and headers["server"] == "nginx"


def test_app_sees_https(host, tmp_path):
    name, http_port, https_port = tls_settings(host)
    status, headers, body = https_get(host, tmp_path, "/whoami")
    seen = json.loads(body)
    assert seen["scheme"] == "https"
    assert seen["url"] == f"https://{name}:{https_port}/whoami"


def test_a_client_forwarded_header_neither_reaches_nor_fools_the_app(host, tmp_path):
    name, http_port, https_port = tls_settings(host)
    forged = {"Forwarded": "for=6.6.6.6;proto=http;host=evil.test"}
    status, headers, body = https_get(host, tmp_path, "/whoami", headers=forged)
    seen = json.loads(body)
    assert (seen["remote_addr"], seen["scheme"], seen["host"]) == ("127.0.0.1", "https", f"{name}:{https_port}")
    status, headers, body = https_get(host, tmp_path, "/whoami/forwarded", headers=forged)
    reached = json.loads(body)
    assert reached["Forwarded"] is None, reached
    assert reached["X-Forwarded-For"] == "127.0.0.1", reached
    rendered = host.check_output("nginx -T 2>/dev/null")
    assert 'proxy_set_header Forwarded "";' in rendered or 'uwsgi_param HTTP_FORWARDED "" if_not_empty;' in rendered


@pytest.fixture
def static_probe(host):
    """A static CSS file large enough for gzip, put in the directory nginx serves /static/ from, removed after."""
    site = host.file(f"/etc/nginx/sites-available/{stack_of(host).name}.conf").content_string
    directory = re.search(r"location /static/ \{\s*alias (\S+);", site).group(1)
    path = f"{directory}wsgi-stack-gzip-probe.css"
    host.check_output(f"python3 -c \"open('{path}', 'w').write('body {{ margin: 0; }}\\n' * 64)\" && chmod 0644 {path}")
    yield "/static/wsgi-stack-gzip-probe.css"
    host.check_output(f"rm -f {path}")


def test_app_responses_are_not_compressed_over_https(host, tmp_path, static_probe):
    status, headers, page = https_get(host, tmp_path, "/")
    assert len(page) >= 256, "too short for gzip to apply at all: the check below would prove nothing"
    status, headers, body = https_get(host, tmp_path, "/", headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers.get("x-served-by") == "flask"
    assert "content-encoding" not in headers
    # Static files hold no secrets: nginx still compresses them.
    status, headers, body = https_get(host, tmp_path, static_probe, headers={"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers.get("content-encoding") == "gzip"


def read_until_closed(connection):
    """Every byte the server sends until it closes the connection, and how it closed it."""
    chunks = []
    try:
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    except (ssl.SSLEOFError, ConnectionResetError) as error:
        return b"".join(chunks), type(error).__name__
    return b"".join(chunks), "closed"


def request_for(host_header):
    return f"GET / HTTP/1.1\r\nHost: {host_header}\r\nConnection: close\r\n\r\n".encode()


def http_exchange(port, host_header):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request_for(host_header))
        return read_until_closed(connection)


def https_exchange(host, tmp_path, server_name, host_header):
    """One request with the SNI and the Host header chosen apart; the handshake checks the certificate for the SNI."""
    name, http_port, https_port = tls_settings(host)
    context = ssl.create_default_context(cafile=str(trusted_root(host, tmp_path)))
    with socket.create_connection(("127.0.0.1", https_port), timeout=10) as connection:
        with context.wrap_socket(connection, server_hostname=server_name) as wrapped:
            wrapped.sendall(request_for(host_header))
            return read_until_closed(wrapped)


def test_an_unknown_sni_gets_no_handshake(host, tmp_path):
    with pytest.raises(ssl.SSLError) as refused:
        https_exchange(host, tmp_path, "unknown.test", "unknown.test")
    assert refused.value.reason == "TLSV1_UNRECOGNIZED_NAME", refused.value


def test_a_served_sni_with_an_unknown_host_gets_no_response(host, tmp_path):
    name, http_port, https_port = tls_settings(host)
    answer, closed_by = https_exchange(host, tmp_path, name, "unknown.test")
    assert answer == b"", answer[:200]
    # The same connection with the served name as Host is answered: the test above can fail.
    answer, closed_by = https_exchange(host, tmp_path, name, name)
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]


def test_an_unknown_host_over_http_gets_no_response(host):
    name, http_port, https_port = tls_settings(host)
    answer, how = http_exchange(http_port, "unknown.test")
    assert (answer, how) == (b"", "closed")
    answer, closed_by = http_exchange(http_port, name)
    assert answer.startswith(b"HTTP/1.1 301 "), answer[:200]


def test_the_nginx_tags_run_alone_on_a_tls_host_and_change_nothing(host, check_mode_recap):
    """The configuration needs the certificate's facts (OCSP responder, nginx's version): each tag finds them alone."""
    name = host.ansible.get_variables()["inventory_hostname"]
    tags = ["nginx", "nginx_config", "nginx_sites", "nginx_tls", "nginx_acme"]
    runs = run_sites([["--check", "--limit", name, "--tags", tag] for tag in tags])
    for tag, (output, returncode) in zip(tags, runs):
        assert_tag_runs_alone(output, returncode, name, tag, check_mode_recap[1].stdout)


def test_sslyze_finds_the_mozilla_intermediate_profile(host, tmp_path):
    name, http_port, https_port = tls_settings(host)
    report = tmp_path / "sslyze.json"
    scan = subprocess.run(
        [sys.executable, "-m", "sslyze", "--mozilla_config=intermediate", "--http_headers",
         f"--certinfo_ca_file={trusted_root(host, tmp_path)}", f"--json_out={report}",
         f"{name}:{https_port}{{127.0.0.1}}"],
        capture_output=True, text=True, check=False, timeout=300,
    )
    # sslyze exits 0 when it cannot connect at all: the JSON must show a complete scan.
    [server] = json.loads(report.read_text())["server_scan_results"]
    assert server["connectivity_status"] == "COMPLETED", server.get("connectivity_error_trace")
    assert server["scan_status"] == "COMPLETED"
    assert scan.returncode == 0, scan.stdout
    assert "OK - Compliant" in scan.stdout, scan.stdout


def test_gixy_finds_nothing_in_the_rendered_configuration(host):
    result = host.run("/opt/gixy/bin/gixy /etc/nginx/nginx.conf")
    assert result.rc == 0, result.stdout + result.stderr


def test_private_keys_are_private(host):
    key = host.file(f"/etc/nginx/tls/{stack_of(host).name}/privkey.pem")
    assert (key.user, key.mode) == ("root", 0o600)


def served_certificate(host):
    """The leaf certificate nginx serves for the site's name, as a client receives it."""
    name, http_port, https_port = tls_settings(host)
    # Read, not trusted: the tests around it check the chain.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", https_port), timeout=10) as connection:
        with context.wrap_socket(connection, server_hostname=name) as wrapped:
            return x509.load_der_x509_certificate(wrapped.getpeercert(binary_form=True))


def ocsp_responders(certificate):
    try:
        access = certificate.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return []
    return [item.access_location.value for item in access if item.access_method == x509.oid.AuthorityInformationAccessOID.OCSP]


def stapling_log_lines(host, start=0):
    """What nginx logged about stapling or OCSP since byte `start` of its error log."""
    log = host.file("/var/log/nginx/error.log").content_string if host.file("/var/log/nginx/error.log").exists else ""
    return [line for line in log[start:].splitlines() if re.search(r"stapling|OCSP", line, re.IGNORECASE)]


def test_the_doctor_finds_the_site_healthy_over_http_and_https_with_its_certificate(host, tmp_path):
    name = host.ansible.get_variables()["inventory_hostname"]
    server_name = tls_settings(host)[0]
    run, verdicts = run_doctor(tmp_path, 5, "--limit", name)
    assert run.returncode == 0 and verdicts[name]["ok"], run.stdout + run.stderr
    site = next(layer for layer in verdicts[name]["layers"] if layer["layer"] == "site")
    # HTTP redirects; HTTPS answers, and the certificate it sent names the site and has weeks left (no finding).
    assert f"http://{server_name}/healthz: 301" in site["checked"]
    assert f"https://{server_name}/healthz: 200 OK" in site["checked"]


def test_a_certificate_without_an_ocsp_responder_is_not_stapled(host):
    """The host CA's and Pebble's certificates name no responder: nginx is not told to staple, and warns of nothing."""
    assert ocsp_responders(served_certificate(host)) == []
    rendered = host.check_output("nginx -T 2>/dev/null")
    assert "ssl_certificate " in rendered, "not the TLS configuration: the check below would prove nothing"
    assert "ssl_stapling" not in rendered and "ssl_trusted_certificate" not in rendered
    assert stapling_log_lines(host) == []
    name, http_port, https_port = tls_settings(host)
    handshake = host.run(f"openssl s_client -connect 127.0.0.1:{https_port} -servername {name} -status </dev/null")
    assert "OCSP response: no response sent" in handshake.stdout, handshake.stdout


@pytest.fixture
def acme_host(host):
    if host.ansible.get_variables()["nginx_tls_source"] != "acme":
        pytest.skip("the certificate of this host does not come from ACME")
    yield host
    converge(host)


def served_serial(host, tmp_path):
    name, http_port, https_port = tls_settings(host)
    context = ssl.create_default_context(cafile=str(trusted_root(host, tmp_path)))
    with socket.create_connection(("127.0.0.1", https_port), timeout=10) as connection:
        with context.wrap_socket(connection, server_hostname=name) as wrapped:
            return wrapped.getpeercert()["serialNumber"]


def test_forced_renewal_serves_a_new_certificate_without_a_failed_request(acme_host, tmp_path):
    host = acme_host
    before = served_serial(host, tmp_path)
    failures, answered, done = [], [], threading.Event()

    def keep_asking():
        while not done.is_set():
            try:
                status, headers, body = https_get(host, tmp_path, "/healthz")
                (answered if status == 200 else failures).append(status)
            except OSError as error:
                failures.append(repr(error))

    client = threading.Thread(target=keep_asking)
    client.start()
    try:
        converge(host, nginx_tls_acme_force=True)
    finally:
        done.set()
        client.join()
    assert served_serial(host, tmp_path) != before
    assert answered, "no request was answered during the renewal"
    assert failures == []


@pytest.fixture
def selfsigned_host(host):
    if host.ansible.get_variables()["nginx_tls_source"] != "selfsigned":
        pytest.skip("the certificate of this host comes from ACME")
    yield host
    converge(host)


def signed_by_the_host_ca(host, tmp_path, prefix):
    """A new key and a certificate for the site's name, signed by the host's CA; returns the certificate's serial."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    name, http_port, https_port = tls_settings(host)
    ca = x509.load_pem_x509_certificate(host.file(CA_PATH).content)
    ca_key = serialization.load_pem_private_key(host.file("/etc/nginx/tls/wsgi-stack-ca/ca.key").content, None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, name)]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    (tmp_path / f"{prefix}-cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (tmp_path / f"{prefix}-key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return certificate.serial_number


def installed_pairs(host, name):
    """The files under the site's TLS directory that came from the controller, with owner and mode."""
    listing = host.check_output(f"find /etc/nginx/tls/{name} -path '*/provided-*' -printf '%P %u %m\\n'")
    return sorted(listing.splitlines())


def recap_changed(output, inventory_hostname):
    return int(re.search(rf"^{re.escape(inventory_hostname)}\s+:.*\bchanged=(\d+)", output, re.MULTILINE).group(1))


def test_provided_certificate_is_installed_and_a_wrong_key_refused(selfsigned_host, tmp_path):
    host = selfsigned_host
    name = stack_of(host).name
    files = {
        "cert.pem": f"/etc/nginx/tls/{name}/fullchain.pem",
        "key.pem": f"/etc/nginx/tls/{name}/privkey.pem",
        "other-key.pem": "/etc/nginx/tls/wsgi-stack-ca/ca.key",
    }
    for local, remote in files.items():
        (tmp_path / local).write_text(host.file(remote).content_string)
    serial = served_serial(host, tmp_path)
    inventory_hostname = host.ansible.get_variables()["inventory_hostname"]
    # The nginx role alone: what these runs change is nginx's.
    limit = ["--limit", inventory_hostname, "--tags", "nginx"]

    def provided(cert, key):
        return json.dumps({"nginx_tls_source": "provided", "nginx_tls_certificate_src": str(tmp_path / cert),
                           "nginx_tls_key_src": str(tmp_path / key)})

    refused = run_site(*limit, "-e", provided("cert.pem", "other-key.pem"))
    assert refused.returncode != 0
    assert "nginx_tls_key_src" in refused.stdout + refused.stderr, refused.stdout + refused.stderr
    assert host.file(files["key.pem"]).content_string == (tmp_path / "key.pem").read_text(), "the key was replaced"
    assert installed_pairs(host, name) == []

    accepted = run_site(*limit, "-e", provided("cert.pem", "key.pem"))
    assert accepted.returncode == 0, accepted.stdout
    assert served_serial(host, tmp_path) == serial
    [directory, certificate, key] = installed_pairs(host, name)
    assert directory.endswith(" root 750") and certificate.endswith("/fullchain.pem root 644")
    assert key.endswith("/privkey.pem root 600")

    # Another pair: nginx serves it, the previous pair is gone, and a second run changes nothing.
    new_serial = signed_by_the_host_ca(host, tmp_path, "new")
    changed = run_site(*limit, "--diff", "-vvv", "-e", provided("new-cert.pem", "new-key.pem"))
    assert changed.returncode == 0, changed.stdout
    # The key's lines never reach Ansible's output, not even in a diff at full verbosity.
    key_lines = [line for line in (tmp_path / "new-key.pem").read_text().splitlines() if "PRIVATE KEY" not in line]
    assert key_lines and not any(line in changed.stdout + changed.stderr for line in key_lines)
    assert int(served_serial(host, tmp_path), 16) == new_serial
    pairs = installed_pairs(host, name)
    assert len(pairs) == 3 and directory.split()[0] not in " ".join(pairs), pairs
    rendered = host.check_output("nginx -T 2>/dev/null")
    pair_dir = pairs[0].split()[0]
    assert f"ssl_certificate /etc/nginx/tls/{name}/{pair_dir}/fullchain.pem;" in rendered
    assert f"ssl_certificate_key /etc/nginx/tls/{name}/{pair_dir}/privkey.pem;" in rendered
    again = run_site(*limit, "-e", provided("new-cert.pem", "new-key.pem"))
    assert again.returncode == 0, again.stdout
    assert recap_changed(again.stdout, inventory_hostname) == 0, again.stdout
    assert installed_pairs(host, name) == pairs


def skip_unless_selfsigned(host):
    if host.ansible.get_variables()["nginx_tls_source"] != "selfsigned":
        pytest.skip("the certificate of this host comes from ACME")


def assert_constrained_to_the_site(host, ca):
    variables = host.ansible.get_variables()
    constraints = ca.extensions.get_extension_for_class(x509.NameConstraints)
    assert constraints.critical
    assert constraints.value.permitted_subtrees == [x509.DNSName(name) for name in variables["nginx_server_names"]]
    assert constraints.value.excluded_subtrees is None
    days = int(variables.get("nginx_tls_selfsigned_ca_days", NGINX_DEFAULTS["nginx_tls_selfsigned_ca_days"]))
    now = datetime.datetime.now(datetime.timezone.utc)
    assert ca.not_valid_after_utc <= now + datetime.timedelta(days=days)
    assert ca.not_valid_after_utc > now + datetime.timedelta(days=days - 1)


def test_the_local_ca_signs_for_the_site_names_only(host):
    skip_unless_selfsigned(host)
    assert_constrained_to_the_site(host, x509.load_pem_x509_certificate(host.file(CA_PATH).content))


def test_an_unconstrained_ca_is_issued_anew_and_its_fingerprint_printed(host, tmp_path):
    """A CA an older release made (ten years, no name constraints) is replaced; the run prints what clients fetch."""
    skip_unless_selfsigned(host)
    variables = host.ansible.get_variables()
    name, http_port, https_port = tls_settings(host)
    host.check_output(
        f"openssl req -x509 -new -key /etc/nginx/tls/wsgi-stack-ca/ca.key -days 3650 -out {CA_PATH}"
        f" -subj '/CN=wsgi.stack CA {variables['inventory_hostname']}'"
        " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign"
    )
    old = x509.load_pem_x509_certificate(host.file(CA_PATH).content)
    with pytest.raises(x509.ExtensionNotFound):
        old.extensions.get_extension_for_class(x509.NameConstraints)

    result = run_site("--limit", variables["inventory_hostname"])
    assert result.returncode == 0, result.stdout + result.stderr
    printed = re.findall(r"SHA-256 fingerprint\s+((?:[0-9A-F]{2}[:\s]*){32})", result.stdout)
    assert len(printed) == 1, result.stdout
    printed = re.sub(r"\s", "", printed[0])

    # What a client downloads over plain HTTP, before it can trust anything.
    request = urllib.request.Request(
        f"http://127.0.0.1:{http_port}/.well-known/wsgi-stack-ca.crt", headers={"Host": name}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        downloaded = response.read()
    der = ssl.PEM_cert_to_DER_cert(downloaded.decode())
    assert printed == ":".join(f"{byte:02X}" for byte in hashlib.sha256(der).digest())
    ca = x509.load_der_x509_certificate(der)
    assert ca.serial_number != old.serial_number
    assert_constrained_to_the_site(host, ca)
    # The site's certificate chains to the new CA.
    (tmp_path / "root.pem").write_bytes(downloaded)
    assert served_serial(host, tmp_path)


OCSP_DIR = "/etc/wsgi-stack-ocsp-test"


def stapled_status(host, attempts=20):
    """The OCSP answer nginx staples to a handshake; nginx fetches it on a first handshake, per worker: retried."""
    name, http_port, https_port = tls_settings(host)
    command = (f"openssl s_client -connect 127.0.0.1:{https_port} -servername {name} -status"
               f" -CAfile {OCSP_DIR}/ca.crt -verify_return_error </dev/null")
    for attempt in range(attempts):
        handshake = host.run(command)
        if "Cert Status:" in handshake.stdout:
            break
        time.sleep(0.5)
    return handshake


@pytest.fixture
def ocsp_host(host):
    if "ocsp_responder_port" not in host.ansible.get_variables():
        pytest.skip("no OCSP responder runs beside this host")
    yield host
    converge(host)


def test_a_provided_certificate_with_an_ocsp_responder_is_stapled(ocsp_host):
    """A certificate naming a live responder gets its answer stapled, checked, with nothing logged; off when asked."""
    host = ocsp_host
    variables = host.ansible.get_variables()
    inventory_hostname = variables["inventory_hostname"]
    responder = f"http://127.0.0.1:{variables['ocsp_responder_port']}"
    with_responder = {"nginx_tls_source": "provided", "nginx_tls_certificate_path": f"{OCSP_DIR}/site.crt",
                      "nginx_tls_key_path": f"{OCSP_DIR}/site.key",
                      "nginx_tls_trusted_certificate": f"{OCSP_DIR}/ca.crt"}
    limit = ["--limit", inventory_hostname, "--tags", "nginx"]
    log_start = len(host.file("/var/log/nginx/error.log").content_string)

    result = run_site(*limit, "-e", json.dumps(with_responder))
    assert result.returncode == 0, result.stdout + result.stderr
    assert ocsp_responders(served_certificate(host)) == [responder]
    rendered = host.check_output("nginx -T 2>/dev/null")
    assert "ssl_stapling on;" in rendered and "ssl_stapling_verify on;" in rendered
    assert f"ssl_trusted_certificate {OCSP_DIR}/ca.crt;" in rendered
    # The responder is an address: nginx needs no resolver for it.
    assert "resolver " not in rendered
    handshake = stapled_status(host)
    assert "OCSP Response Status: successful" in handshake.stdout, handshake.stdout
    assert "Cert Status: good" in handshake.stdout, handshake.stdout
    assert "Verify return code: 0 (ok)" in handshake.stdout, handshake.stdout
    assert stapling_log_lines(host, log_start) == []

    again = run_site(*limit, "-e", json.dumps(with_responder))
    assert again.returncode == 0, again.stdout
    assert recap_changed(again.stdout, inventory_hostname) == 0, again.stdout

    switched_off = run_site(*limit, "-e", json.dumps({**with_responder, "nginx_tls_ocsp_stapling": False}))
    assert switched_off.returncode == 0, switched_off.stdout
    assert "ssl_stapling" not in host.check_output("nginx -T 2>/dev/null")
    name, http_port, https_port = tls_settings(host)
    handshake = host.run(f"openssl s_client -connect 127.0.0.1:{https_port} -servername {name} -status </dev/null")
    assert "OCSP response: no response sent" in handshake.stdout, handshake.stdout
