"""A hostile ``dd-agent`` racing fips-setup on a booted host (issue 10, points 1-2).

``dd-agent`` owns ``/etc/datadog-agent``: anything that runs as it can swap
names there while root writes. A racer process running as ``dd-agent`` loops
over the folder: every temporary file fips-setup creates there is moved
away and replaced by a symlink to a root-only file (a path-based chown or
chmod would then hand that file over), and now and then ``datadog.yaml``
itself becomes such a link for a moment. Meanwhile ``configure`` runs 200
times and ``enable``/``disable`` several times. Afterwards every root-owned
file outside the Agent's folder is byte for byte, owner and mode as before,
``dd-agent`` owns nothing new outside its own places, and everything the
racer stole is its own.
"""

from __future__ import annotations

import json
from typing import Any, Callable

import pytest

from .harness import DATADOG_YAML
from .host import TestHost

pytestmark = pytest.mark.e2e

MakeHost = Callable[..., TestHost]
FOLDER = "/etc/datadog-agent"
VICTIMS = ("/root/e2e-victim", "/etc/e2e-victim", "/etc/shadow")
RACER_STOP = "/run/e2e-racer-stop"
RACER_COUNTS = "/tmp/e2e-racer-counts.json"
CONFIGURE_RUNS = 200
ENABLE_CYCLES = 5

RACER = f"""
import json, os, stat, time
folder = os.open({FOLDER!r}, os.O_RDONLY | os.O_DIRECTORY)
victims = {list(VICTIMS)!r}
counts = {{"loops": 0, "temp_swaps": 0, "link_swaps": 0}}
def swap_temporary_files():
    for name in os.listdir(folder):
        if name.startswith(".datadog.yaml.") and name.endswith(".tmp"):
            try:
                if not stat.S_ISREG(os.stat(name, dir_fd=folder, follow_symlinks=False).st_mode):
                    continue  # one of its own links
                os.rename(name, f"stolen-{{counts['temp_swaps']}}", src_dir_fd=folder, dst_dir_fd=folder)
                os.symlink(victims[counts["temp_swaps"] % len(victims)], name, dir_fd=folder)
                counts["temp_swaps"] += 1
            except OSError:
                pass
def link_the_config_for_a_moment():
    try:
        os.rename("datadog.yaml", "datadog.yaml.racer", src_dir_fd=folder, dst_dir_fd=folder)
    except OSError:
        return
    try:
        os.symlink(victims[counts["link_swaps"] % len(victims)], "datadog.yaml", dir_fd=folder)
        counts["link_swaps"] += 1
        time.sleep(0.002)
        os.unlink("datadog.yaml", dir_fd=folder)
    except OSError:
        pass
    os.rename("datadog.yaml.racer", "datadog.yaml", src_dir_fd=folder, dst_dir_fd=folder)
while not os.path.exists({RACER_STOP!r}):
    counts["loops"] += 1
    swap_temporary_files()
    if counts["loops"] % 500 == 0:
        link_the_config_for_a_moment()
with open({RACER_COUNTS!r}, "w") as out:
    json.dump(counts, out)
"""

# What root owns outside the Agent's folder (and what dd-agent owns anywhere it
# should not), as a JSON document: the "before" and "after" of the race.
SNAPSHOT = """
import hashlib, json, os, stat, sys
agent_uid = int(sys.argv[1])
skip = ("/proc", "/sys", "/dev", "/run", "/tmp", "/var/tmp", "/etc/datadog-agent",
        "/var/lib/datadog-agent-standin", "/var/lib/fips-e2e-intake", "/var/log",
        "/var/cache/fips-setup", "/var/lib/systemd", "/var/lib/private",
        "/var/lib/fips-setup")  # fips-setup's own journal: changes by design, checked apart
owned_by_root, owned_by_agent = {}, []
for top in ("/etc", "/root", "/opt", "/usr/local", "/var", "/srv"):
    for folder, subfolders, names in os.walk(top):
        if folder.startswith(skip):
            subfolders[:] = []
            continue
        for name in names + subfolders:
            path = os.path.join(folder, name)
            try:
                info = os.lstat(path)
            except OSError:
                continue
            if info.st_uid == agent_uid and not path.startswith("/opt/datadog-agent"):
                owned_by_agent.append(path)
            if info.st_uid != 0:
                continue
            if stat.S_ISREG(info.st_mode):
                with open(path, "rb") as handle:
                    what = hashlib.sha256(handle.read()).hexdigest()
            elif stat.S_ISLNK(info.st_mode):
                what = "-> " + os.readlink(path)
            else:
                what = ""
            owned_by_root[path] = [info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode), what]
json.dump({"root": owned_by_root, "agent": sorted(owned_by_agent)}, sys.stdout)
"""

# fips-setup run many times in a row inside the host (one nsenter, not 200). When
# the racer got its own link renamed into place (it owns the folder: it could do
# that itself, and fips-setup then refuses the link), the file is put back, so
# that every run is raced.
DRIVER = """
import json, os, stat, subprocess, sys
command, runs = sys.argv[1:-1], int(sys.argv[-1])
config = "/etc/datadog-agent/datadog.yaml"
# saved before the racer started: read here, config may be the racer's link to a victim
with open("/root/e2e-good-datadog.yaml", "rb") as handle:
    good = handle.read()
results, restored = [], 0
for run in range(runs):
    flag = [] if run % 2 == 0 else ["--disable"]
    done = subprocess.run([*command, "configure", *flag, "--json"], capture_output=True, text=True)
    try:
        document = json.loads(done.stdout)
    except ValueError:
        document = None
    results.append({"returncode": done.returncode, "document": document, "stderr": done.stderr})
    try:
        regular = stat.S_ISREG(os.lstat(config).st_mode)
    except FileNotFoundError:
        regular = False
    if not regular:
        restored += 1
    while not regular:  # the racer renames its own file back meanwhile: then it is regular
        try:
            os.unlink(config)
        except FileNotFoundError:
            pass
        try:
            fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o640)
        except FileExistsError:
            regular = stat.S_ISREG(os.lstat(config).st_mode)
            continue
        os.write(fd, good)
        os.fchown(fd, os.stat("/etc/datadog-agent").st_uid, os.stat("/etc/datadog-agent").st_gid)
        os.close(fd)
        regular = True
json.dump({"results": results, "restored": restored}, sys.stdout)
"""

#: What a run the racer disturbed may say (each is a refusal that changed nothing).
RACE_MESSAGES = (
    "its temporary file was replaced by something else",
    "was changed by something else while fips-setup was editing it",
    "refusing to follow the symbolic link",
    "something replaced it right after fips-setup wrote it",
    "cannot read: no such file",
    "changed while fips-setup looked at it",
    # enable's closing verification: the Agent's own check (as dd-agent) read datadog.yaml
    # while the racer had made it a link to a root-only file (said, installation kept)
    "but it is NOT verified",
)


def snapshot(host: TestHost) -> dict[str, Any]:
    agent_uid = host.run(["id", "-u", "dd-agent"]).stdout.strip()
    out = host.run(["python3", "-c", SNAPSHOT, agent_uid], timeout=300).stdout
    return json.loads(out)


def assert_refused_cleanly(result: dict[str, Any]) -> str:
    """A disturbed run: exit 1, one JSON document, a one-line reason about the race."""
    assert result["returncode"] == 1, result
    document = result["document"]
    assert document is not None and document["failed"] is True, result
    assert "Traceback" not in result["stderr"], result["stderr"]
    assert any(words in document["msg"] for words in RACE_MESSAGES), document["msg"]
    return str(document["msg"])


def test_a_dd_agent_racer_gains_nothing_from_configure_and_enable(make_host: MakeHost) -> None:
    host = make_host(family="debian")
    host.install_toolkit()
    for victim, mode in zip(VICTIMS[:2], (0o600, 0o644)):
        host.write_file(victim, f"{victim}: root's own\n", mode=mode, owner="root:root")
    # the proxy installed and its configuration made, before the race
    assert host.fips_setup("enable", json=True).returncode == 0
    assert host.fips_setup("disable", json=True).returncode == 0
    config = host.read_bytes(DATADOG_YAML)
    host.write_file("/root/e2e-good-datadog.yaml", config, mode=0o600, owner="root:root")
    before = snapshot(host)

    host.write_file("/tmp/e2e-racer.py", RACER, mode=0o644)
    host.run(["systemd-run", "--unit=e2e-racer", "--uid=dd-agent", "--gid=dd-agent",
              "python3", "/tmp/e2e-racer.py"])  # fmt: skip
    host.write_file("/tmp/e2e-driver.py", DRIVER, mode=0o644)
    driver = ["python3", "/tmp/e2e-driver.py", *host.toolkit_command(), str(CONFIGURE_RUNS)]
    driven = json.loads(host.run(driver, timeout=1800).stdout)
    configure_runs = driven["results"]
    cycles = []
    for _ in range(ENABLE_CYCLES):
        for command in ("enable", "disable"):
            result = host.fips_setup(command, json=True)
            cycles.append(
                {"returncode": result.returncode, "document": result.data, "stderr": result.stderr}
            )
    host.run(["touch", RACER_STOP])
    host.run(["sh", "-c", "while systemctl is-active --quiet e2e-racer; do sleep 0.1; done"])
    counts = json.loads(host.read_file(RACER_COUNTS))

    # The racer may have got a link of its own renamed into place (it owns the
    # folder: it could do that itself): fips-setup then refuses it. Put the file back.
    left_a_link = host.stat(DATADOG_YAML).kind != "regular file"
    if left_a_link:
        host.run(["rm", "-f", DATADOG_YAML])
        host.write_file(DATADOG_YAML, config, mode=0o640, owner="dd-agent:dd-agent")
    settle = host.fips_setup("disable", json=True)  # the same state as before the race
    assert settle.returncode == 0, settle.stdout + settle.stderr
    after = snapshot(host)

    # fips-setup's journal (backups of datadog.yaml, which holds the API key) stays root's alone
    exposed = host.run(
        ["find", "/var/lib/fips-setup", "(", "!", "-user", "root", "-o", "-perm", "/077", ")"]
    ).stdout.split()
    assert exposed == [], exposed
    refusals = [assert_refused_cleanly(r) for r in configure_runs + cycles if r["returncode"]]
    succeeded = [r for r in configure_runs + cycles if r["returncode"] == 0]
    assert all(r["document"]["failed"] is False for r in succeeded)
    assert after["root"] == before["root"], sorted(
        path
        for path in set(before["root"]) | set(after["root"])
        if before["root"].get(path) != after["root"].get(path)
    )
    assert after["agent"] == before["agent"]
    stolen = host.run(
        ["find", FOLDER, "-name", "stolen-*", "-printf", "%u %n %y %p\\n"]
    ).stdout.splitlines()
    assert all(line.split()[:3] == ["dd-agent", "1", "f"] for line in stolen), stolen
    assert counts["temp_swaps"] > 0, counts
    print(
        f"\nracer: {counts['loops']} loops, {counts['temp_swaps']} temporary files swapped"
        f" for links to root's files, {counts['link_swaps']} times datadog.yaml made a link;"
        f" {len(configure_runs)} configure and {len(cycles)} enable/disable runs:"
        f" {len(succeeded)} done, {len(refusals)} refused cleanly; {len(stolen)} files stolen,"
        f" all dd-agent's own; {len(before['root'])} root-owned files unchanged;"
        f" datadog.yaml put back {driven['restored']} times after the racer's link got in"
        f" (at the end: {left_a_link})"
    )
    for message in sorted(set(refusals)):
        print(f"  refused: {refusals.count(message)} x {message}")
