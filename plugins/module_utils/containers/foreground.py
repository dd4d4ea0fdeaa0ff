# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``detach: false``: the container runs to completion, as ``docker run`` without ``-d``, and
the result carries its exit code and output; ``auto_remove`` then removes it (``--rm``)."""

from __future__ import annotations

from . import view as container_view


def run_output(containers, record, started_at=None):
    """(exit code, stdout, stderr) of the run that began at ``started_at``; waits for its end."""
    code = containers.wait(record)
    started_at = started_at or containers.records.state(record["id"]).get("started_at") or ""
    out, err = [], []
    for entry in containers.logs(record):
        if entry.get("time", "") >= started_at:
            (err if entry.get("stream") == "stderr" else out).append(entry.get("log", ""))
    return code, "".join(out), "".join(err)


def finish(containers, record, result):
    """Wait for the container, put rc, stdout and stderr in the result (community.docker's
    ``status`` and ``container.Output`` too), remove it when auto_remove asks."""
    code, out, err = run_output(containers, record)
    result.update(rc=code, status=code, stdout=out, stderr=err)
    result["container"] = dict(container_view.view(containers, record), Output=out + err)
    if (record.get("options") or {}).get("auto_remove"):
        containers.remove(record, force=True)
        result["actions"].append("remove %s" % record["name"])
        result["container"]["state"] = dict(result["container"].get("state") or {}, status="removed")
    return result
