# -*- coding: utf-8 -*-
"""The ``strata`` command line (bin/strata) as a Docker user drives it: Docker's commands,
output (tables laid out as Docker's tabwriter lays them out, status strings, messages) and exit
codes, on a fresh store against the session's registry. Only 127.0.0.1 is ever contacted."""

from __future__ import annotations

import io
import os
import pty
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request

from rig.registry import Registry

from ansible_collections.strata.containers.plugins.module_utils.cli import format as fmt
from ansible_collections.strata.containers.plugins.module_utils.cli.template import Template


COLLECTION = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STRATA = os.path.join(COLLECTION, "bin", "strata")
HTTPD = "mkdir -p /www && echo hi > /www/index.html && exec httpd -f -p 80 -h /www"
IMAGES_HEADER = ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"]
PS_HEADER = ["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]
SIZE = re.compile(r"^[0-9]+(\.[0-9]+)?(B|kB|MB|GB)$")


def strata(root, *args, code=0, stdin=None, stderr=subprocess.PIPE, binary=False):
    """Runs ``bin/strata --root ROOT ARGS...``; checks the exit status (None: any)."""
    proc = subprocess.run([sys.executable, STRATA, "--root", root] + list(args), input=stdin, stdout=subprocess.PIPE,
                          stderr=stderr, timeout=300, check=False, text=not binary)
    if code is not None:
        assert proc.returncode == code, (args, proc.returncode, proc.stdout, proc.stderr)
    return proc


def out(root, *args):
    return strata(root, *args).stdout


def docker_line(cells, widths):
    """A line as Docker's tabwriter writes it: each cell but the last padded to its column."""
    return "".join(c.ljust(w) for c, w in zip(cells[:-1], widths)) + cells[-1]


def table(text, header):
    """Rows (lists of cells) of a Docker table whose header must be ``header``, after checking
    that the header and each row are laid out as Docker lays them out: every column as wide as
    its widest cell plus 3 spaces, at least 10."""
    lines = text.rstrip("\n").split("\n")
    starts = [lines[0].index(title) for title in header]
    assert starts == sorted(starts) and starts[0] == 0, lines[0]
    bounds = list(zip(starts, starts[1:] + [None]))
    rows = [[line[a:b].rstrip() if b else line[a:] for a, b in bounds] for line in lines[1:]]
    widths = [max(10, max(len(r[i]) for r in [header] + rows) + 3) for i in range(len(header) - 1)]
    assert lines[0] == docker_line(header, widths)
    for line, row in zip(lines[1:], rows):
        assert line == docker_line(row, widths)
    return rows


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(port, timeout=15):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.time() + timeout
    while True:
        try:
            with opener.open("http://127.0.0.1:%d/index.html" % port, timeout=5) as response:
                return response.read().decode()
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.1)


def read_all(fd):
    data = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the other side is closed and drained
            return data
        if not chunk:
            return data
        data += chunk


def ps_rows(root, *args):
    return {row[-1]: dict(zip(PS_HEADER, row)) for row in table(out(root, "ps", *args), PS_HEADER)}


def test_sizes_durations_templates_and_tabwriter():
    assert [fmt.human_size(n) for n in (0, 999, 1000, 2131456, 7800000, 83.9e6, 1.5e9)] == \
        ["0B", "999B", "1kB", "2.13MB", "7.8MB", "83.9MB", "1.5GB"]
    assert fmt.human_size(1234567, 4) == "1.235MB"
    hour, day = 3600, 86400
    assert [fmt.human_duration(s) for s in (0.5, 1, 59, 60, 3599, 3600, 2 * hour, 47 * hour, 2 * day, 14 * day,
                                            60 * day, 730 * day)] == \
        ["Less than a second", "1 second", "59 seconds", "About a minute", "59 minutes", "About an hour", "2 hours",
         "47 hours", "2 days", "2 weeks", "2 months", "2 years"]
    data = {"A": "x", "B": {"k": [1, True]}, "C": ["p", "q"], "N": None}
    text = Template('{{.A}} {{json .B}} {{join .C ","}} {{.A | upper}} {{index .B "k"}} {{.C}} {{.B}} {{.N}}').execute(data)
    assert text == 'x {"k":[1,true]} p,q X [1 true] [p q] map[k:[1 true]] <no value>'
    assert fmt.tabwrite("A\tBB\tC\nlonger cell\tb\tc\n") == "%s%sC\n%s%sc\n" % (
        "A".ljust(11 + 3), "BB".ljust(10), "longer cell".ljust(11 + 3), "b".ljust(10))  # widest + 3, at least 10
    assert fmt.go_quote('sh -c "x"\n') == '"sh -c \\"x\\"\\n"'
    assert fmt.ellipsis("sh -c mkdir -p /www && echo", 20) == "sh -c mkdir -p /www\u2026"


def test_empty_store_prints_dockers_headers(container_root):
    assert out(container_root, "images") == "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n"
    assert out(container_root, "ps", "-a") == "CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n"
    assert not os.path.exists(os.path.join(container_root, "images"))  # looking makes no store
    bad = strata(container_root, "images", "--bogus", code=125)
    assert "--bogus" in bad.stderr and "strata images --help" in bad.stderr
    missing = strata(container_root, "rmi", "nothere", code=1)
    assert missing.stderr == "Error: No such image: nothere\n"


def test_pull_images_filters_digests_and_formats(registry, container_root):
    busybox, multi = registry.images["busybox"], registry.images["multi"]
    pulled = strata(container_root, "pull", busybox)
    assert pulled.stdout.splitlines()[-2:] == ["Status: Downloaded newer image for %s" % busybox, busybox]
    assert pulled.stderr == ""  # no progress when stderr is not a terminal
    again = out(container_root, "pull", busybox)
    assert "Status: Image is up to date for %s" % busybox in again
    master, slave = pty.openpty()  # on a terminal, a progress line
    try:
        strata(container_root, "pull", multi, stderr=slave)
        os.close(slave)
        assert read_all(master).decode().strip() == "Pulling %s... done" % multi
    finally:
        os.close(master)

    ids = {name: out(container_root, "inspect", "-f", "{{.Id}}", name).strip() for name in (busybox, multi)}
    rows = table(out(container_root, "images"), IMAGES_HEADER)
    assert [(r[0], r[1], r[2]) for r in rows] == [  # newest first
        (multi.rsplit(":", 1)[0], "latest", ids[multi][7:19]), (busybox.rsplit(":", 1)[0], "latest", ids[busybox][7:19])]
    assert all(r[3].endswith(" ago") and SIZE.match(r[4]) for r in rows)
    assert out(container_root, "images", "-q").split() == [ids[multi][7:19], ids[busybox][7:19]]
    assert out(container_root, "images", "-q", "--no-trunc").split() == [ids[multi], ids[busybox]]

    digest = out(container_root, "inspect", "-f", "{{index .RepoDigests 0}}", busybox).strip().split("@")[1]
    assert digest == registry.manifest_digest("test/busybox:latest")
    repository = busybox.rsplit(":", 1)[0]  # as Docker: with a tag, the filter drops the digest names
    rows = table(out(container_root, "images", "--digests", repository), IMAGES_HEADER[:2] + ["DIGEST"] + IMAGES_HEADER[2:])
    assert [r[2] for r in rows] == [digest]

    formatted = out(container_root, "images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}")
    assert formatted.splitlines()[1].startswith("%s %s " % (busybox, ids[busybox][7:19]))
    rows = table(out(container_root, "images", "--format", "table {{.Tag}}\\t{{.Repository}}"), ["TAG", "REPOSITORY"])
    assert rows == [["latest", multi.rsplit(":", 1)[0]], ["latest", busybox.rsplit(":", 1)[0]]]

    def listed(*filters):
        args = [a for f in filters for a in ("-f", f)]
        return [r[0] for r in table(out(container_root, "images", *args), IMAGES_HEADER)]
    assert listed("reference=*/test/busybox") == [busybox.rsplit(":", 1)[0]]
    assert listed("label=org.strata.test=multi") == [multi.rsplit(":", 1)[0]]
    assert listed("before=%s" % multi) == [busybox.rsplit(":", 1)[0]]
    assert listed("since=%s" % busybox) == [multi.rsplit(":", 1)[0]]
    assert listed("dangling=true") == []
    assert len(listed("dangling=false")) == 2

    # rmi of an image a container uses: Docker's conflict naming the container; -f untags
    assert re.match(r"^[0-9a-f]{64}$", out(container_root, "create", "--name", "holder", busybox, "true").strip())
    refused = strata(container_root, "rmi", busybox, code=1)
    assert refused.stderr.startswith("Error: conflict: unable to remove repository reference")
    assert "(holder)" in refused.stderr
    assert out(container_root, "rmi", "-f", busybox) == "Untagged: %s\n" % busybox
    rows = table(out(container_root, "images", "-f", "dangling=true"), IMAGES_HEADER)
    assert [(r[1], r[2]) for r in rows] == [("<none>", ids[busybox][7:19])]
    assert out(container_root, "rm", "holder") == "holder\n"
    deleted = out(container_root, "rmi", ids[busybox][7:19])
    assert "Deleted: %s" % ids[busybox] in deleted.splitlines()

    found = table(out(container_root, "search", "%s/test" % registry.addr), ["NAME", "DESCRIPTION", "STARS", "OFFICIAL"])
    assert [registry.addr + "/test/busybox", "", "0", ""] in found


def test_tag_history_save_load_commit_import(registry, container_root, tmp_path):
    busybox = registry.images["busybox"]
    strata(container_root, "pull", busybox)
    image_id = out(container_root, "inspect", "-f", "{{.Id}}", busybox).strip()
    assert out(container_root, "tag", busybox, "mybox:v1") == ""
    rows = table(out(container_root, "images", "mybox"), IMAGES_HEADER)
    assert [(r[0], r[1], r[2]) for r in rows] == [("mybox", "v1", image_id[7:19])]

    history = table(out(container_root, "history", "mybox:v1"), ["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"])
    assert [r[0] for r in history] == [image_id[7:19]] + ["<missing>"] * (len(history) - 1)
    assert all(SIZE.match(r[3]) for r in history)
    assert out(container_root, "history", "-q", "--no-trunc", "mybox:v1").split()[0] == image_id

    archive = str(tmp_path / "mybox.tar")
    assert out(container_root, "save", "-o", archive, "mybox:v1") == ""
    assert out(container_root, "rmi", "mybox:v1") == "Untagged: mybox:v1\n"
    assert out(container_root, "load", "-i", archive) == "Loaded image: mybox:v1\n"
    streamed = strata(container_root, "save", "mybox:v1", binary=True).stdout
    with tarfile.open(fileobj=io.BytesIO(streamed)) as tar:
        assert "manifest.json" in tar.getnames()
    assert strata(container_root, "load", stdin=streamed, binary=True).stdout == b"Loaded image: mybox:v1\n"

    strata(container_root, "run", "--name", "maker", busybox, "sh", "-c", "echo data > /data")
    committed = out(container_root, "commit", "-m", "made by a test", "-c", "ENV MADE=yes", "maker", "made:1").strip()
    assert re.match(r"^sha256:[0-9a-f]{64}$", committed)
    history = table(out(container_root, "history", "made:1"), ["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"])
    assert history[0][0] == committed[7:19] and history[0][4] == "made by a test"
    assert out(container_root, "run", "--rm", "made:1", "sh", "-c", "cat /data; echo $MADE") == "data\nyes\n"

    exported = str(tmp_path / "rootfs.tar")
    strata(container_root, "export", "-o", exported, "maker")
    imported = out(container_root, "import", "-c", 'CMD ["cat", "/data"]', exported, "flat:1").strip()
    assert out(container_root, "inspect", "-f", "{{.Id}} {{len .RootFS.Layers}}", "flat:1") == imported + " 1\n"
    assert out(container_root, "run", "--rm", "flat:1") == "data\n"


def test_run_ps_exec_pause_stop_kill_rm(registry, container_root):
    busybox = registry.images["busybox"]
    hi = strata(container_root, "run", "--rm", busybox, "echo", "hi")
    assert hi.stdout == "hi\n"
    assert hi.stderr == "Unable to find image '%s' locally\n" % busybox
    failed = strata(container_root, "run", "--rm", busybox, "sh", "-c", "echo out; echo err >&2; exit 3", code=3)
    assert (failed.stdout, failed.stderr) == ("out\n", "err\n")
    assert strata(container_root, "run", "--rm", busybox, "no-such-command", code=127).stderr.startswith("Error: ")
    assert out(container_root, "ps", "-aq") == ""  # --rm left nothing

    port = free_port()
    web_id = out(container_root, "run", "-d", "--name", "web", "-p", "127.0.0.1:%d:80" % port, busybox, "sh", "-c", HTTPD)
    assert re.match(r"^[0-9a-f]{64}\n$", web_id)
    assert fetch(port) == "hi\n"
    web = ps_rows(container_root)["web"]
    assert web["CONTAINER ID"] == web_id[:12] and web["IMAGE"] == busybox
    assert web["COMMAND"] == '"sh -c mkdir -p /www\u2026"'
    assert web["CREATED"].endswith(" ago") and re.match(r"^Up (Less than a second|[0-9]+ seconds?)$", web["STATUS"])
    assert web["PORTS"] == "127.0.0.1:%d->80/tcp" % port
    assert out(container_root, "ps", "-q") == web_id[:12] + "\n"
    assert out(container_root, "ps", "-q", "--no-trunc") == web_id

    assert strata(container_root, "exec", "web", "sh", "-c", "exit 7", code=7).stdout == ""
    assert out(container_root, "exec", "web", "cat", "/www/index.html") == "hi\n"
    assert strata(container_root, "exec", "-i", "-e", "X=1", "web", "sh", "-c", "echo $X; cat", stdin="piped\n").stdout == "1\npiped\n"

    assert out(container_root, "pause", "web") == "web\n"
    assert ps_rows(container_root)["web"]["STATUS"].endswith(" (Paused)")
    assert out(container_root, "unpause", "web") == "web\n"
    assert out(container_root, "inspect", "-f", "{{.State.Status}}", "web") == "running\n"
    assert strata(container_root, "rm", "web", code=1).stderr.startswith("Error: ")

    assert out(container_root, "stop", "-t", "1", "web") == "web\n"  # httpd as PID 1 ignores SIGTERM
    assert "web" not in ps_rows(container_root)
    assert re.match(r"^Exited \(137\) .* ago$", ps_rows(container_root, "-a")["web"]["STATUS"])
    assert out(container_root, "start", "web") == "web\n"
    assert fetch(port) == "hi\n"
    assert out(container_root, "kill", "web") == "web\n"
    assert out(container_root, "wait", "web") == "137\n"

    strata(container_root, "create", "--name", "idle", busybox, "true")
    assert ps_rows(container_root, "-a")["idle"]["STATUS"] == "Created"
    # names are checked against names only: the start of web's ID is a free name (as in Docker)
    prefix = strata(container_root, "create", "--name", web_id[:2], busybox, "true").stdout.strip()
    assert ps_rows(container_root, "-a")[web_id[:2]]["CONTAINER ID"] == prefix[:12]
    assert "is already in use" in strata(container_root, "create", "--name", "idle", busybox, "true", code=125).stderr
    assert out(container_root, "rm", prefix) == prefix + "\n"
    talker = out(container_root, "run", "-d", "--name", "talker", busybox, "sh", "-c", "echo one; echo two >&2").strip()
    strata(container_root, "wait", talker)
    logs = strata(container_root, "logs", "talker")
    assert (logs.stdout, logs.stderr) == ("one\n", "two\n")
    assert re.match(r"^\d{4}-\d\d-\d\dT[0-9:.]+Z one\n$", out(container_root, "logs", "-t", "talker"))
    assert out(container_root, "logs", "-f", "talker") == "one\n"

    assert out(container_root, "rm", "web", "idle", "talker") == "web\nidle\ntalker\n"
    assert out(container_root, "ps", "-aq") == ""


def test_build_prune_system_df_and_push(registry, container_root, tmp_path):
    busybox = registry.images["busybox"]
    (tmp_path / "Dockerfile").write_text("FROM %s\nRUN echo built > /built\n" % busybox)
    built = out(container_root, "build", "-t", "built:1", "--label", "made=cli", str(tmp_path))
    assert built.splitlines()[-1] == "Successfully tagged built:1"
    assert out(container_root, "run", "--rm", "built:1", "cat", "/built") == "built\n"
    assert [r[0] for r in table(out(container_root, "images", "-f", "label=made=cli"), IMAGES_HEADER)] == ["built"]

    strata(container_root, "create", "--name", "stopped", "built:1", "true")
    df = table(out(container_root, "system", "df"), ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"])
    assert [r[0] for r in df] == ["Images", "Containers", "Local Volumes", "Build Cache"]
    assert df[0][1:3] == ["2", "1"] and df[1][1:3] == ["1", "0"]

    scratch = tempfile.mkdtemp(prefix="strata-cli-push-", dir="/var/tmp")
    try:
        with Registry(os.path.join(scratch, "data"), os.path.join(scratch, "run")) as target:
            name = "%s/cli/built:1" % target.addr
            strata(container_root, "tag", "built:1", name)
            pushed = out(container_root, "push", name)
            assert pushed.startswith("The push refers to repository [%s/cli/built]\n" % target.addr)
            assert pushed.splitlines()[-1] == "1: digest: %s" % target.manifest_digest("cli/built:1")
            assert target.tags("cli/built") == ["1"]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    declined = strata(container_root, "prune", stdin="n\n").stdout
    assert declined == "WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] \n"
    pruned = out(container_root, "prune", "-f", "-a", "--containers", "--build-cache")
    assert pruned.startswith("Deleted Containers:\nstopped\n\nDeleted Images:\ndeleted: sha256:")
    assert re.search(r"\nTotal reclaimed space: [0-9.]+(B|kB|MB)\n$", pruned)
    assert out(container_root, "images", "-q") == "" and out(container_root, "ps", "-aq") == ""
