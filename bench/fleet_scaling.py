# -*- coding: utf-8 -*-
"""How a fleet playbook's time grows with the hosts: the playbook of bench/fleet.py (pull
busybox, run a container with no network) on 5, 10 and 20 network-namespace hosts, forks equal
to the hosts, and 20 hosts with 5 forks; the first run (from empty stores) and the second
(nothing to change), strata.containers only. Medians; a table and a plot.

    python3 bench/fleet_scaling.py [--runs 3] [--plot docs/fleet-scaling.png]

Run as root after tests/setup.sh.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

import common
import fleet

# (hosts, forks) per row; the first is what the others are compared with
SHAPES = ((5, 5), (10, 10), (20, 20), (20, 5))
BASE = "5 hosts, -f 5"


def _name(hosts, forks):
    return "%d hosts, -f %d" % (hosts, forks)


def measure(runs, tmpfs, scratch="/var/tmp/strata-bench-fleet-scaling"):
    """[(title, times, ours_for)]: the first runs, then the second runs, by shape."""
    first, second = {}, {}
    with common.scratch_area(scratch, tmpfs) as area:
        ours = common.collections_path(area)
        sys.path.insert(0, ours)
        fleet_rig = fleet.load_fleet_rig()
        os.environ["ANSIBLE_COLLECTIONS_PATH"] = ours
        os.environ["PATH"] = "%s:%s" % (os.path.dirname(common.python()), os.environ["PATH"])  # ansible-playbook
        playbook = common.script(area, "strata.yml", fleet.STRATA_PLAYBOOK)
        registry_data = common.registry_data()
        for hosts, forks in SHAPES:
            name = _name(hosts, forks)
            first[name], second[name] = [], []
            made = fleet_rig.Fleet(os.path.join(area, "fleet-%d-%d" % (hosts, forks)), hosts=hosts, isolated=0,
                                   python=common.python())
            try:
                made.start(registry_data)
                for round_ in range(runs + 1):  # round 0 warms up (SSH masters, page cache)
                    for host in made.hosts:
                        fleet.empty_strata(fleet_rig, host)
                    seconds = fleet.first_and_second(made, playbook, forks, name)
                    if round_:
                        first[name].append(seconds[0])
                        second[name].append(seconds[1])
            finally:
                for host in made.hosts:
                    fleet.empty_strata(fleet_rig, host)
                made.stop()
                common.wipe([h.root for h in made.hosts])
                common.remove_empty_cgroups()
    where = "SSH without pipelining, %s, %d runs" % ("tmpfs" if tmpfs else "ext4", runs)
    return [("Fleet scaling, first run (%s)" % where, first, lambda name: BASE),
            ("Fleet scaling, second run: nothing to change (%s)" % where, second, lambda name: BASE)]


def table(title, times, ours_for):
    """Rows by shape: the median and how many times the 5-host run's it took."""
    lines = ["### %s" % title, "", "| hosts, forks | median s | min–max s | × the 5-host time |", "|---|---|---|---|"]
    for name, values in times.items():
        median = statistics.median(values)
        base = statistics.median(times[ours_for(name)])
        lines.append("| %s | %.1f | %.1f–%.1f | %.2f |" % (name, median, min(values), max(values), median / base))
    return "\n".join(lines) + "\n"


def plot(results, path):
    """Seconds by hosts (forks = hosts), the first and the second run; False without matplotlib."""
    try:
        import matplotlib  # pylint: disable=import-outside-toplevel
        matplotlib.use("Agg")
        from matplotlib import pyplot  # pylint: disable=import-outside-toplevel
    except ImportError:
        return False
    figure, axes = pyplot.subplots(figsize=(6, 4))
    for (title, times, dummy), marker in zip(results, ("o", "s")):
        shapes = [(h, f) for h, f in SHAPES if h == f]
        axes.plot([h for h, dummy in shapes], [statistics.median(times[_name(h, f)]) for h, f in shapes],
                  marker=marker, label=title.split(" (")[0].replace("Fleet scaling, ", ""))
    axes.set_xlabel("hosts (forks = hosts)")
    axes.set_ylabel("playbook seconds (median)")
    axes.set_ylim(bottom=0)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    pyplot.close(figure)
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tmpfs", action="store_true")
    parser.add_argument("--plot", help="write the plot to this PNG file")
    args = parser.parse_args()
    results = measure(args.runs, args.tmpfs)
    print("\n".join(table(*result) for result in results))
    if args.plot:
        plot(results, args.plot)


if __name__ == "__main__":
    main()
