"""Faults a production host meets: the app server's master killed, the whole machine restarted, the environment file
lost. The stack comes back by itself, or at the next run for the lost file; the times are in the report at the end."""
import subprocess
import time

from conftest import FAULT_REPORT, journal_cursor, journal_since, main_pid, run_site

# Bounds a loaded test machine holds; the times measured are printed, and the README reports them.
KILLED_MASTER_BOUND_S = 30
RESTART_BOUND_S = 120


def seconds_until(condition, bound):
    """Seconds until condition() holds, polling; None if it did not within bound."""
    start = time.monotonic()
    while time.monotonic() - start < bound:
        try:
            if condition():
                return time.monotonic() - start
        except OSError:
            pass
        time.sleep(0.2)
    return None


def test_the_app_server_serves_again_after_its_master_is_killed(host, stack):
    name = host.ansible.get_variables()["inventory_hostname"]
    master = main_pid(host, stack.unit)
    host.run_expect([0], f"kill -9 {master}")
    # A new master, not one of the old workers still answering: systemd restarted the service.
    took = seconds_until(lambda: main_pid(host, stack.unit) not in (0, master) and stack.get("healthz").status == 200,
                         KILLED_MASTER_BOUND_S)
    assert took is not None, f"{stack.unit} did not serve again within {KILLED_MASTER_BOUND_S} s of kill -9"
    FAULT_REPORT.append((f"kill -9 of {stack.server}'s master", name, took))


def test_the_stack_comes_back_after_the_machine_restarts(host, stack):
    name = host.ansible.get_variables()["inventory_hostname"]
    started = time.monotonic()
    subprocess.run(["docker", "restart", "--time", "5", name], check=True, capture_output=True)
    took = seconds_until(lambda: stack.get("healthz").status == 200 and stack.get("").status == 200,
                         RESTART_BOUND_S)
    assert took is not None, f"{name} did not serve through nginx within {RESTART_BOUND_S} s of its restart"
    assert host.service(stack.unit).is_running and host.service("nginx").is_running
    FAULT_REPORT.append(("docker restart (5 s to stop)", name, time.monotonic() - started))


def test_a_missing_environment_file_is_named_and_the_next_run_puts_it_back(host, stack):
    name = host.ansible.get_variables()["inventory_hostname"]
    env_file = f"/etc/{stack.name}/env"
    before = host.file(env_file).content_string
    cursor = journal_cursor(host)
    host.run_expect([0], f"mv {env_file} /root/env.kept")
    try:
        assert host.run(f"systemctl restart {stack.unit}").rc != 0
        # systemd's own words, in the service's journal.
        journal = journal_since(host, stack.unit, cursor)
        assert "Failed to load environment files: No such file or directory" in journal, journal
        # nginx goes on serving what it serves itself.
        assert stack.get("static/style.css").status == 200

        result = run_site("--limit", name)
        assert result.returncode == 0, result.stdout + result.stderr
        env = host.file(env_file)
        assert (env.content_string, env.user, env.group, env.mode) == (before, "root", stack.name, 0o640)
        assert host.service(stack.unit).is_running and stack.get("").status == 200
    finally:
        if not host.file(env_file).exists:
            host.run(f"mv /root/env.kept {env_file} && systemctl restart {stack.unit}.socket {stack.unit}")
        host.run("rm -f /root/env.kept")
