# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The order services start in: every service after what it ``depends_on``; a cycle is an
error that names it (``a -> b -> a``). Ties are broken by name, so the order is stable."""

from __future__ import annotations

from .._errors import InvalidSpec


def start_order(dependencies):
    """``dependencies``: {service: iterable of services it depends on} -> [service, ...]."""
    order, state = [], {}

    def visit(name, trail):
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            cycle = trail[trail.index(name):] + [name]
            raise InvalidSpec("dependency cycle between services: %s" % " -> ".join(cycle),
                              cycle=cycle, path="services.%s.depends_on" % name)
        state[name] = "visiting"
        for dependency in sorted(dependencies.get(name) or ()):
            if dependency not in dependencies:
                raise InvalidSpec("service %s depends on %s, which is not defined" % (name, dependency),
                                  path="services.%s.depends_on" % name)
            visit(dependency, trail + [name])
        state[name] = "done"
        order.append(name)

    for service in sorted(dependencies):
        visit(service, [])
    return order


def dependants(dependencies, service):
    """The services that depend on ``service``, directly or not."""
    found, todo = set(), [service]
    while todo:
        current = todo.pop()
        for name, needs in dependencies.items():
            if current in needs and name not in found:
                found.add(name)
                todo.append(name)
    return found
