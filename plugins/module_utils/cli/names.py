# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Names for containers run without ``--name``, in Docker's style: ``adjective_surname``."""

from __future__ import annotations

import secrets

ADJECTIVES = ("admiring", "affectionate", "amazing", "awesome", "blissful", "bold", "brave", "busy", "charming",
              "clever", "compassionate", "confident", "cool", "dazzling", "determined", "eager", "ecstatic",
              "elastic", "elegant", "epic", "focused", "friendly", "gallant", "gifted", "goofy", "happy", "hopeful",
              "inspiring", "jolly", "keen", "kind", "laughing", "loving", "lucid", "magical", "modest", "nice",
              "nifty", "optimistic", "peaceful", "pensive", "quirky", "relaxed", "serene", "sharp", "stoic",
              "sweet", "tender", "trusting", "upbeat", "vibrant", "vigilant", "wizardly", "youthful", "zealous")
SURNAMES = ("agnesi", "albattani", "allen", "archimedes", "babbage", "banach", "bardeen", "bell", "bohr", "booth",
            "brahmagupta", "cannon", "carson", "cerf", "curie", "darwin", "dijkstra", "einstein", "euclid", "euler",
            "fermat", "feynman", "franklin", "galileo", "gauss", "goldberg", "goodall", "hamilton", "hawking",
            "hodgkin", "hopper", "hypatia", "johnson", "kepler", "knuth", "lamarr", "lovelace", "mayer",
            "meitner", "newton", "noether", "pascal", "perlman", "poincare", "ritchie", "shannon", "thompson",
            "torvalds", "turing", "wilson", "wozniak", "yalow")


def generate(taken):
    """A free name; ``taken(name)`` says whether a container has it already."""
    for attempt in range(20):
        name = "%s_%s" % (secrets.choice(ADJECTIVES), secrets.choice(SURNAMES))
        if attempt:
            name += str(secrets.randbelow(10))  # Docker adds a digit when it retries
        if not taken(name):
            return name
    return "strata_%s" % secrets.token_hex(6)
