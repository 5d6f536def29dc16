"""Provision the stack in bench containers with the collection's defaults and measure it on loopback with wrk.

Writes OUT/bench.md (the tables, also printed) and OUT/bench.json (every repetition, medians, ratios, machine,
versions, Ansible run times); with --ansible-only, only the Ansible run times, in OUT/ansible.md and OUT/ansible.json.
Exits 1 only when something could not be measured, never because of a figure.
"""
import argparse
import datetime
import http.client
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from string import Template

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
IMAGE = "local/debian:bookworm"
PREFIX = "wsgi-stack-bench-"
CACHE = Path(os.environ.get("WSGI_STACK_CACHE_DIR", "/var/tmp/wsgi-stack/cache"))
STATIC_FILE = "bench-4k.txt"
STATIC_BODY = ("wsgi.stack bench " * 256)[:4095] + "\n"
WRK_TIMEOUT_S = 5
WARMUP_S = 1

# The stack as the collection deploys it, one container per flavour: only the app server and its bind are set.
FLAVOURS = {
    "gunicorn-unix": {"nginx_http_port": 8180},
    "gunicorn-tcp": {"nginx_http_port": 8181, "flask_app_listen": "127.0.0.1:8191"},
    "uwsgi-unix": {"nginx_http_port": 8182, "flask_app_server": "uwsgi"},
    "uwsgi-tcp": {"nginx_http_port": 8183, "flask_app_server": "uwsgi", "flask_app_listen": "127.0.0.1:8193",
                  "uwsgi_protocol": "http"},
}
BASELINE = "baseline"
BARE_PORT, GUIDES_PORT, GUIDES_APP_PORT = 8184, 8185, 8195
# With --connection ssh, each flavour's sshd listens on loopback alone, one port each.
SSH_PORTS = dict(zip(FLAVOURS, range(8196, 8200)))
SSH_USER = "deploy"
# /slow waits 20 ms, as a request waits on a database or an API: where the worker count matters.
ROUTES = {"healthz": "/healthz", "page": "/", "wait": "/slow?seconds=0.02"}


class BenchError(Exception):
    """Something could not be provisioned or measured."""


@dataclass
class Case:
    id: str
    label: str
    port: int
    path: str
    host: str
    by_flask: bool  # the response must come from the app (X-Served-By: flask), not from nginx alone


def container(name):
    return PREFIX + name


def sh(name, script):
    """Run a shell script in a container; return its output."""
    result = subprocess.run(["docker", "exec", "-e", "DEBIAN_FRONTEND=noninteractive", container(name),
                             "sh", "-ec", script], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BenchError(f"{container(name)}: `{script}` failed:\n{result.stdout}{result.stderr}")
    return (result.stdout + result.stderr).strip()


def remove_containers():
    names = subprocess.run(["docker", "ps", "-a", "--format", "{{.Names}}"], capture_output=True, text=True,
                           check=True).stdout.split()
    ours = [name for name in names if name.startswith(PREFIX)]
    if ours:
        subprocess.run(["docker", "rm", "-f", *ours], capture_output=True, check=True)


def start_container(name):
    caches = {CACHE / "bookworm/apt-archives": "/var/cache/apt/archives",
              CACHE / "bookworm/apt-lists": "/var/lib/apt/lists", CACHE / "bookworm/build-users": "/var/cache/wsgi-stack"}
    volumes = ["-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw"]
    for source, target in caches.items():
        source.mkdir(parents=True, exist_ok=True)
        volumes += ["-v", f"{source}:{target}"]
    subprocess.run(["docker", "run", "-d", "--name", container(name), "--hostname", container(name),
                    "--cap-add", "SYS_ADMIN", "--security-opt", "seccomp=unconfined",
                    "--security-opt", "apparmor=unconfined", "--cgroupns=host", "--tmpfs", "/run",
                    "--tmpfs", "/run/lock", "--network", "host", *volumes, IMAGE, "/lib/systemd/systemd"],
                   capture_output=True, check=True)


def wait_for_systemd(name):
    for attempt in range(60):
        if sh(name, "systemctl is-system-running || true") in ("running", "degraded"):
            # Packages must not start their daemons on the shared loopback (nginx would take port 80).
            sh(name, "printf '#!/bin/sh\\nexit 101\\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d")
            return
        time.sleep(1)
    raise BenchError(f"{container(name)}: systemd did not come up")


def app_copy(work):
    """The example app as it is, plus the 4 KB file the static cases fetch."""
    app = work / "app"
    shutil.copytree(ROOT / "examples/app", app)
    (app / "hello/static" / STATIC_FILE).write_text(STATIC_BODY)
    return app


def provision_baseline(work, app):
    tree = work / "baseline"
    ports = {"bare_port": BARE_PORT, "guides_port": GUIDES_PORT, "guides_app_port": GUIDES_APP_PORT}
    configs = {"etc/bench-bare/nginx.conf": "bare-nginx.conf",
               "etc/nginx/sites-enabled/guides.conf": "guides-site.conf"}
    files = {path: Template((BENCH / name).read_text()).substitute(ports) for path, name in configs.items()}
    files[f"srv/bench-bare/{STATIC_FILE}"] = STATIC_BODY
    for path, text in files.items():
        (tree / path).parent.mkdir(parents=True, exist_ok=True)
        (tree / path).write_text(text)
    shutil.copytree(app, tree / "srv/guides")
    # The same gunicorn as the stack's, so the comparison is one of settings alone.
    gunicorn = re.search(r'^gunicorn_version:\s*"?([^"\s]+)', (ROOT / "roles/gunicorn/defaults/main.yml")
                         .read_text(), re.MULTILINE).group(1)
    sh(BASELINE, "apt-get update -qq && apt-get install -y -qq nginx python3-venv >/dev/null")
    subprocess.run(["docker", "cp", f"{tree}/.", f"{container(BASELINE)}:/"], capture_output=True, check=True)
    sh(BASELINE, "python3 -m venv /srv/guides/venv && /srv/guides/venv/bin/pip install -q "
                 f"-r /srv/guides/requirements.txt gunicorn=={gunicorn}")
    sh(BASELINE, "rm -f /etc/nginx/sites-enabled/default && nginx -t -q && systemctl start nginx")
    sh(BASELINE, "systemd-run -q --unit bench-bare-nginx nginx -c /etc/bench-bare/nginx.conf -g 'daemon off;'")
    sh(BASELINE, "systemd-run -q --unit bench-guides-gunicorn -p User=www-data -p WorkingDirectory=/srv/guides "
                 f"/srv/guides/venv/bin/gunicorn --workers 1 --bind 127.0.0.1:{GUIDES_APP_PORT} hello:app")


def open_ssh(work, flavours):
    """Make each container a server reached over SSH: sshd on its loopback port, a sudo user with the bench's key."""
    key = work / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "wsgi-stack-bench", "-f", str(key)],
                   capture_output=True, check=True)
    public_key = key.with_suffix(".pub").read_text().strip()
    for flavour in flavours:
        log(f"opening SSH on {flavour} (127.0.0.1:{SSH_PORTS[flavour]}, user {SSH_USER}, sudo)")
        sh(flavour, "apt-get update -qq && apt-get install -y -qq openssh-server sudo >/dev/null")
        sh(flavour, f"""useradd --create-home --shell /bin/bash {SSH_USER}
install -d -o {SSH_USER} -g {SSH_USER} -m 0700 /home/{SSH_USER}/.ssh
echo '{public_key}' >/home/{SSH_USER}/.ssh/authorized_keys
chown {SSH_USER}:{SSH_USER} /home/{SSH_USER}/.ssh/authorized_keys
echo '{SSH_USER} ALL=(ALL) NOPASSWD:ALL' >/etc/sudoers.d/{SSH_USER}
chmod 0440 /etc/sudoers.d/{SSH_USER}
printf 'Port {SSH_PORTS[flavour]}\nListenAddress 127.0.0.1\nPermitRootLogin no\nPasswordAuthentication no\n' \
  >/etc/ssh/sshd_config.d/bench.conf
# A container may not set a login's audit uid: where the engine's own has one, a required pam_loginuid ends each login.
sed -i 's/^session\\s\\+required\\s\\+pam_loginuid.so/session optional pam_loginuid.so/' /etc/pam.d/sshd
systemctl enable --now ssh""")
    return key


def connection_vars(flavour, ssh_key):
    """How Ansible reaches a flavour's container: docker exec as root, or SSH as a sudo user."""
    if ssh_key is None:
        return {"ansible_connection": "community.docker.docker"}
    return {"ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": SSH_PORTS[flavour],
            "ansible_user": SSH_USER, "ansible_ssh_private_key_file": str(ssh_key),
            # The bench's key alone: an agent holding many keys would use up sshd's tries first.
            "ansible_ssh_common_args": ("-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
                                        "-o IdentitiesOnly=yes")}


def write_inventory(work, app, ssh_key=None):
    common = {"flask_app_name": "hello", "flask_app_source_path": str(app),
              "flask_app_wsgi_entry": "hello:create_app()", "flask_app_static_dir": "hello/static"}
    hosts = {container(flavour): {**common, **connection_vars(flavour, ssh_key),
                                  "nginx_server_names": [f"{flavour}.bench.test"], **settings}
             for flavour, settings in FLAVOURS.items()}
    inventory = {"all": {"children": {"app": {"hosts": hosts}, "web": {"hosts": {name: {} for name in hosts}}}}}
    path = work / "inventory.json"
    path.write_text(json.dumps(inventory, indent=2))
    return path


def run_site(inventory, flavour, log):
    """One timed run of playbooks/site.yml on one flavour; return its time and its PLAY RECAP counters."""
    # Each log ends with the slowest tasks.
    environment = {**os.environ, "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks",
                   "PROFILE_TASKS_TASK_OUTPUT_LIMIT": "15"}
    started = time.monotonic()
    with log.open("w") as output:
        returncode = subprocess.run(["ansible-playbook", "-i", str(inventory), "--limit", container(flavour),
                                     "playbooks/site.yml"], cwd=ROOT, stdout=output, stderr=subprocess.STDOUT,
                                    env=environment, timeout=3600, check=False).returncode
    seconds = round(time.monotonic() - started, 1)
    text = log.read_text()
    if returncode != 0:
        raise BenchError(f"site.yml failed on {flavour} (log: {log}):\n" + "\n".join(text.splitlines()[-40:]))
    recap = re.search(rf"^{re.escape(container(flavour))}\s+:\s+(ok=.*)$", text, re.MULTILINE).group(1)
    return {"seconds": seconds, **{key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", recap)}}


def provision_stack(inventory, out, flavours=tuple(FLAVOURS)):
    times = {flavour: {} for flavour in flavours}
    # One flavour at a time, so each run's time is that of one host, not of a machine shared by four.
    for run in ("first", "second"):
        for flavour in flavours:
            result = run_site(inventory, flavour, out / f"ansible-{flavour}-{run}.log")
            times[flavour][run] = result
            log(f"site.yml {run} run on {flavour}: {result['seconds']} s, changed={result['changed']}")
    return times


def read_versions():
    # gunicorn's settings, read once: each line is `name = value`, a string value as JSON.
    gunicorn = dict(re.findall(r"^(\w+) = (.*)$", sh("gunicorn-unix", "cat /etc/hello/gunicorn.conf.py"), re.MULTILINE))
    return {
        "nginx": re.search(r"nginx/(\S+)", sh(BASELINE, "nginx -v")).group(1),
        "gunicorn": re.search(r"([\d.]+)", sh("gunicorn-unix", "/srv/hello/gunicorn/bin/gunicorn --version")).group(1),
        "uwsgi": sh("uwsgi-unix", "/srv/hello/uwsgi/bin/uwsgi --version"),
        "python": sh("gunicorn-unix", "python3 --version").split()[-1],
        "gunicorn_workers": int(gunicorn["workers"]),
        "gunicorn_worker_class": json.loads(gunicorn["worker_class"]),
        "gunicorn_threads": int(gunicorn["threads"]),
        "uwsgi_processes": int(sh("uwsgi-unix", "sed -n 's/^processes = //p' /etc/hello/uwsgi.ini")),
        "nginx_workers": int(sh("gunicorn-unix", "pgrep -c -f '^nginx: worker'")),
    }


def app_port(flavour):
    return int(FLAVOURS[flavour]["flask_app_listen"].rsplit(":", 1)[1])


def build_cases():
    static = f"/static/{STATIC_FILE}"
    cases = [
        Case("static:bare", "4 KB file, bare tuned nginx", BARE_PORT, f"/{STATIC_FILE}", "bare.bench.test", False),
        Case("static:stack", "4 KB file, the stack's /static/ (gunicorn-unix)",
             FLAVOURS["gunicorn-unix"]["nginx_http_port"], static, "gunicorn-unix.bench.test", False),
        Case("static:flask", "4 KB file, Flask itself (gunicorn-tcp direct)", app_port("gunicorn-tcp"), static,
             "gunicorn-tcp.bench.test", True),
    ]
    for route, path in ROUTES.items():
        for flavour, settings in FLAVOURS.items():
            host = f"{flavour}.bench.test"
            if "flask_app_listen" in settings:
                cases.append(Case(f"{flavour}:direct:{route}", f"{path} {flavour} direct", app_port(flavour), path,
                                  host, True))
            cases.append(Case(f"{flavour}:nginx:{route}", f"{path} {flavour} through nginx",
                              settings["nginx_http_port"], path, host, True))
        cases.append(Case(f"guides:nginx:{route}", f"{path} the guides' recipe through nginx", GUIDES_PORT, path,
                          "guides.bench.test", True))
    return cases


def check(case):
    """One request, to prove the case reaches what it claims to measure."""
    connection = http.client.HTTPConnection("127.0.0.1", case.port, timeout=10)
    try:
        connection.request("GET", case.path, headers={"Host": case.host})
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    by_flask = response.getheader("X-Served-By") == "flask"
    wrong_static_body = case.path.endswith(STATIC_FILE) and body != STATIC_BODY.encode()
    if response.status != 200 or by_flask != case.by_flask or wrong_static_body:
        raise BenchError(f"{case.id}: status {response.status}, X-Served-By {response.getheader('X-Served-By')}, "
                         f"{len(body)} bytes")


def wait_for(case):
    for attempt in range(30):
        try:
            return check(case)
        except (OSError, http.client.HTTPException, BenchError) as error:
            if attempt == 29:
                raise BenchError(f"{case.id} does not answer as expected: {error}") from error
            time.sleep(1)


def wrk(case, seconds, args):
    url = f"http://127.0.0.1:{case.port}{case.path}"
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s", f"--timeout={WRK_TIMEOUT_S}s",
               "--latency", "-s", str(BENCH / "report.lua"), "-H", f"Host: {case.host}", url]
    output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False).stdout
    match = re.search(r"^WSGI_STACK_BENCH (\{.*\})$", output, re.MULTILINE)
    if not match:
        raise BenchError(f"{case.id}: wrk printed no report:\n{output}")
    return output, json.loads(match.group(1))


def measure(cases, args, out):
    """Every case once per round, in turn, so a change in the machine's load spreads over all of them."""
    runs = {case.id: [] for case in cases}
    with (out / "wrk.log").open("w") as wrk_log:
        for round_number in range(1, args.repeat + 1):
            for case in cases:
                wrk(case, WARMUP_S, args)
                output, report = wrk(case, args.duration, args)
                wrk_log.write(f"=== {case.id}, round {round_number}\n{output}\n")
                runs[case.id].append(report)
                log(f"round {round_number}/{args.repeat} {case.id}: {report['requests_per_s']:.0f} req/s, "
                    f"p99 {report['p99_ms']} ms")
    return runs


def summarize(case, runs):
    def spread(key):
        values = [run[key] for run in runs]
        return {"median": statistics.median(values), "min": min(values), "max": max(values)}
    return {"label": case.label, "url": f"http://127.0.0.1:{case.port}{case.path}", "host": case.host, "runs": runs,
            "requests_per_s": spread("requests_per_s"), "p99_ms": spread("p99_ms"),
            "errors": {kind: sum(run["errors"][kind] for run in runs) for kind in runs[0]["errors"]},
            "answered": all(run["requests"] > run["errors"]["status"] for run in runs)}


def ratio_definitions():
    ratios = [("the stack's static / bare tuned nginx", "static:stack", "static:bare", 0.9),
              ("the stack's static / Flask serving it", "static:stack", "static:flask", None)]
    for route, path in ROUTES.items():
        for server in ("gunicorn", "uwsgi"):
            for bind in ("unix", "tcp"):
                ratios.append((f"{path} {server}: through nginx over {bind} / direct over tcp",
                               f"{server}-{bind}:nginx:{route}", f"{server}-tcp:direct:{route}", 0.95))
        ratios.append((f"{path} our defaults (gunicorn-unix) / the guides' recipe", f"gunicorn-unix:nginx:{route}",
                       f"guides:nginx:{route}", 2))
    ratios += [("/healthz uWSGI / gunicorn, through nginx over unix", "uwsgi-unix:nginx:healthz",
                "gunicorn-unix:nginx:healthz", 2),
               ("/healthz uWSGI / gunicorn, direct over tcp", "uwsgi-tcp:direct:healthz",
                "gunicorn-tcp:direct:healthz", 2)]
    return ratios


def compute_ratios(summaries):
    ratios = []
    for label, numerator, denominator, target in ratio_definitions():
        below = summaries[denominator]["requests_per_s"]["median"]
        # A case with no answer has no ratio; the run still reports it, then exits 1.
        value = round(summaries[numerator]["requests_per_s"]["median"] / below, 3) if below else None
        ratios.append({"label": label, "numerator": numerator, "denominator": denominator,
                       "value": value, "target": target})
    return ratios


def markdown(report):
    wrk_settings, machine, versions = report["wrk"], report["machine"], report["versions"]
    lines = [f"{report['date']}: {machine['cpus']} cores, {machine['os']}, kernel {machine['kernel']}, "
             f"load average {machine['load_before']} before, {machine['load_after']} after; "
             f"nginx {versions['nginx']} ({versions['nginx_workers']} workers), gunicorn {versions['gunicorn']} "
             f"({versions['gunicorn_workers']} {versions['gunicorn_worker_class']} workers x "
             f"{versions['gunicorn_threads']} threads), uWSGI {versions['uwsgi']} "
             f"({versions['uwsgi_processes']} processes), Python {versions['python']}.",
             f"wrk {machine['wrk']}: {wrk_settings['threads']} threads, {wrk_settings['connections']} connections, "
             f"{wrk_settings['duration_s']} s, {wrk_settings['repeat']} rounds; median (min-max).", "",
             "| case | req/s | p99 ms | errors, all rounds |", "|---|---:|---:|---:|"]
    for summary in report["cases"].values():
        rate, p99 = summary["requests_per_s"], summary["p99_ms"]
        errors = ", ".join(f"{kind} {count}" for kind, count in summary["errors"].items() if count) or "0"
        lines.append(f"| {summary['label']} | {rate['median']:.0f} ({rate['min']:.0f}-{rate['max']:.0f}) | "
                     f"{p99['median']:.1f} ({p99['min']:.1f}-{p99['max']:.1f}) | {errors} |")
    lines += ["", "| ratio of req/s medians | value | target |", "|---|---:|---:|"]
    for ratio in report["ratios"]:
        value = ratio["value"]
        target = "-" if ratio["target"] is None else (
            f">= {ratio['target']}" + ("" if value is not None and value >= ratio["target"] else " (below)"))
        lines.append(f"| {ratio['label']} | {'no answer' if value is None else f'{value:.2f}'} | {target} |")
    return "\n".join(lines + [""] + ansible_table(report["ansible"])) + "\n"


def ansible_table(times):
    lines = ["| site.yml on a fresh container | first run | second run | tasks run by the second | changed by it |",
             "|---|---:|---:|---:|---:|"]
    for flavour, runs in times.items():
        second = runs["second"]
        lines.append(f"| {flavour} | {runs['first']['seconds']:.1f} s | {second['seconds']:.1f} s | "
                     f"{second['ok']} | {second['changed']} |")
    return lines


def machine_facts():
    os_name = re.search(r'^PRETTY_NAME="?([^"\n]*)', Path("/etc/os-release").read_text(), re.MULTILINE).group(1)
    wrk_version = re.search(r"^wrk (\S+)", subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False).stdout)
    return {"cpus": os.cpu_count(), "kernel": platform.release(), "os": os_name,
            "wrk": wrk_version.group(1) if wrk_version else "unknown"}


def log(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def positive(value):
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"not a positive integer: {value}")
    return int(value)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=positive, default=10, help="seconds per measurement (10)")
    parser.add_argument("--repeat", type=positive, default=3, help="measurements per case (3)")
    parser.add_argument("--connections", type=positive, default=64, help="wrk connections (64)")
    parser.add_argument("--threads", type=positive, default=2, help="wrk threads (2)")
    parser.add_argument("--out", type=Path, default=BENCH / "results", help="output directory (bench/results)")
    parser.add_argument("--keep", action="store_true", help="leave the containers running")
    parser.add_argument("--ansible-only", action="store_true",
                        help="only time the first and second runs of site.yml on each flavour, no load")
    parser.add_argument("--flavour", action="append", choices=list(FLAVOURS), dest="flavours",
                        help="with --ansible-only: this flavour only (repeatable; default: all)")
    parser.add_argument("--connection", choices=["docker", "ssh"], default="docker",
                        help="how Ansible reaches the containers: docker exec as root (default), or SSH as a sudo "
                             "user with become")
    return parser.parse_args()


def time_ansible(args, work):
    """The first and second runs of site.yml on fresh containers, and nothing else."""
    load_before = os.getloadavg()[0]
    flavours = args.flavours or list(FLAVOURS)
    for name in flavours:
        start_container(name)
    for name in flavours:
        wait_for_systemd(name)
    ssh_key = open_ssh(work, flavours) if args.connection == "ssh" else None
    times = provision_stack(write_inventory(work, app_copy(work), ssh_key), args.out, flavours)
    how = ("over SSH as the sudo user deploy, with become" if ssh_key else "over the docker connection as root")
    lines = [f"{datetime.date.today().isoformat()}: {os.cpu_count()} cores, load average {load_before:.1f} before, "
             f"{os.getloadavg()[0]:.1f} after; {how}, with pipelining.", "", *ansible_table(times)]
    (args.out / "ansible.md").write_text("\n".join(lines) + "\n")
    (args.out / "ansible.json").write_text(json.dumps(times, indent=2) + "\n")
    print("\n".join(lines))


def bench(args, work):
    if args.ansible_only:
        return time_ansible(args, work)
    load_before = os.getloadavg()[0]
    for name in [*FLAVOURS, BASELINE]:
        start_container(name)
    for name in [*FLAVOURS, BASELINE]:
        wait_for_systemd(name)
    app = app_copy(work)
    log("provisioning the baseline (bare nginx and the guides' recipe)")
    provision_baseline(work, app)
    ssh_key = open_ssh(work, FLAVOURS) if args.connection == "ssh" else None
    ansible = provision_stack(write_inventory(work, app, ssh_key), args.out)
    cases = build_cases()
    for case in cases:
        wait_for(case)
    runs = measure(cases, args, args.out)
    summaries = {case.id: summarize(case, runs[case.id]) for case in cases}
    report = {"date": datetime.date.today().isoformat(),
              "machine": {**machine_facts(), "load_before": round(load_before, 1),
                          "load_after": round(os.getloadavg()[0], 1)},
              "versions": read_versions(),
              "wrk": {"threads": args.threads, "connections": args.connections, "duration_s": args.duration,
                      "repeat": args.repeat, "timeout_s": WRK_TIMEOUT_S, "warmup_s": WARMUP_S},
              "ansible": ansible, "cases": summaries, "ratios": compute_ratios(summaries)}
    table = markdown(report)
    (args.out / "bench.md").write_text(table)
    (args.out / "bench.json").write_text(json.dumps(report, indent=2) + "\n")
    print(table)
    unanswered = [case_id for case_id, summary in summaries.items() if not summary["answered"]]
    if unanswered:
        raise BenchError(f"no successful response in a measurement of: {', '.join(unanswered)}")
    # Load may slow answers down, never turn them into errors: an error status or a dropped connection is a fault.
    faulty = {case_id: {kind: summary["errors"][kind] for kind in ("status", "read") if summary["errors"][kind]}
              for case_id, summary in summaries.items()}
    faulty = {case_id: errors for case_id, errors in faulty.items() if errors}
    if faulty:
        raise BenchError(f"error statuses or dropped connections under load: {json.dumps(faulty)}")


def main():
    args = parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    # A stopped run still removes its containers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if shutil.which("wrk") is None:
        log("wrk is missing (apt-get install wrk)")
        return 1
    remove_containers()
    work = Path(tempfile.mkdtemp(prefix="wsgi-stack-bench-"))
    try:
        bench(args, work)
        name = "ansible" if args.ansible_only else "bench"
        log(f"wrote {args.out / (name + '.md')} and {args.out / (name + '.json')}")
        return 0
    except BenchError as error:
        log(str(error))
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if not args.keep:
            remove_containers()


if __name__ == "__main__":
    sys.exit(main())
