# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``docker logs`` read back: every rotated file in order, since/until/tail as Docker takes
them, the journal's JSON, and log options checked before anything is made."""

from __future__ import annotations

import json

import pytest

from ansible_collections.strata.containers.plugins.module_utils._errors import ContainerError, InvalidSpec
from ansible_collections.strata.containers.plugins.module_utils.containers import logconfig, logs, options
from ansible_collections.strata.containers.plugins.module_utils.runtime import logdrivers

RECORD = {"id": "cd" * 32, "name": "web", "image": "busybox", "image_id": "sha256:" + "ef" * 32}
BASE = 1700000000 * 10 ** 9


def _write(path, lines):
    with open(path, "w") as handle:
        for second, text in lines:
            handle.write(json.dumps({"log": text + "\n", "stream": "stdout",
                                     "time": logdrivers.rfc3339_nano(BASE + second * 10 ** 9)}) + "\n")


def _record(tmp_path, **log_options):
    config = logconfig.settings({"log_options": {"max-size": "10k", "max-file": "3"}, **log_options}, RECORD)
    _write(tmp_path / "log.json.2", [(0, "a"), (1, "b")])
    _write(tmp_path / "log.json.1", [(2, "c"), (3, "d")])
    _write(tmp_path / "log.json", [(4, "e"), (5, "f")])
    return dict(RECORD, log_config=config)


def _texts(entries):
    return "".join(e["log"] for e in entries)


def test_reads_every_file_oldest_first_with_since_until_tail(tmp_path):
    record = _record(tmp_path)
    assert _texts(logs.read(str(tmp_path), record)) == "a\nb\nc\nd\ne\nf\n"
    assert _texts(logs.read(str(tmp_path), record, tail=3)) == "d\ne\nf\n"
    assert logs.read(str(tmp_path), record, tail=0) == []
    since, until = BASE + 1 * 10 ** 9, BASE + 4 * 10 ** 9
    assert _texts(logs.read(str(tmp_path), record, since=since, until=until)) == "b\nc\nd\ne\n"
    assert _texts(logs.read(str(tmp_path), record, since=since, until=until, tail=2)) == "d\ne\n"
    assert set(logs.read(str(tmp_path), record)[0]) == {"log", "stream", "time"}


def test_none_has_nothing_to_read(tmp_path):
    with pytest.raises(ContainerError, match="does not support reading"):
        logs.read(str(tmp_path), dict(RECORD, log_config={"driver": "none"}))


@pytest.mark.parametrize("text, expected", [
    ("2023-11-14T22:13:20Z", BASE),
    ("2023-11-14T22:13:20.5Z", BASE + 500000000),
    ("2023-11-14T23:13:20.000000001+01:00", BASE + 1),
    ("1700000000", BASE),
    ("1700000000.25", BASE + 250000000),
    ("10m", BASE + 3600 * 10 ** 9 - 600 * 10 ** 9),
    ("1h30m", BASE + 3600 * 10 ** 9 - 5400 * 10 ** 9),
])
def test_since_takes_dockers_forms(text, expected):
    assert logs.parse_since(text, now_ns=BASE + 3600 * 10 ** 9) == expected


@pytest.mark.parametrize("text", ["yesterday", "10 minutes", "2023-11-14 22:13:20", "-5m"])
def test_a_bad_since_is_named(text):
    with pytest.raises(InvalidSpec, match="since"):
        logs.parse_since(text)


def test_journal_entries_become_docker_logs_entries():
    line = json.dumps({"MESSAGE": "hello", "PRIORITY": "3", "__REALTIME_TIMESTAMP": "1700000000123456"})
    assert logs._journal_entry(line) == {"log": "hello\n", "stream": "stderr", "ns": BASE + 123456000,  # pylint: disable=protected-access
                                         "time": "2023-11-14T22:13:20.123456Z"}
    raw = json.dumps({"MESSAGE": [104, 105, 255], "PRIORITY": "6", "__REALTIME_TIMESTAMP": "1",
                      "CONTAINER_PARTIAL_MESSAGE": "true"})
    assert logs._journal_entry(raw)["log"] == "hi\ufffd"  # pylint: disable=protected-access


@pytest.mark.parametrize("params, message", [
    ({"log_driver": "syslog"}, "log_driver 'syslog' is not one of json-file, journald, none"),
    ({"log_options": {"max-sise": "1m"}}, "unknown log opt 'max-sise' for json-file log driver"),
    ({"log_driver": "journald", "log_options": {"max-size": "1m"}}, "unknown log opt 'max-size' for journald"),
    ({"log_options": {"max-size": "lots"}}, "max-size must be a size"),
    ({"log_options": {"max-size": "1m", "max-file": "0"}}, "max-file must be a whole number, 1 or more"),
    ({"log_options": {"max-size": "1m", "compress": "true"}}, "compress needs max-file of 2"),
    ({"log_driver": "journald", "log_options": {"tag": "{{.Nope}}"}}, "unknown field"),
])
def test_bad_log_settings_are_refused_by_name(params, message):
    with pytest.raises(InvalidSpec, match=message.replace("(", "\\(")):
        options.normalize(params)


def test_settings_defaults():
    def settings(**given):
        return logconfig.settings(options.normalize(given), RECORD)
    assert settings() == {"driver": "json-file", "tag": None, "max_size": 16 * 1024 * 1024, "max_file": 2,
                          "compress": False}
    assert settings(log_options={"max-size": "10m"})["max_file"] == 1  # Docker's, once max-size is set
    assert settings(log_options={"max-size": "1.5k", "max-file": 4})["max_size"] == 1500  # decimal, as Docker's
    assert settings(log_options={"max-file": "5"})["max_size"] == 16 * 1024 * 1024
    assert settings(log_driver="journald", log_options={"tag": "{{.Name}}/{{.ID}}"})["tag"] == "web/" + "cd" * 6
    assert settings(log_driver="none") == {"driver": "none", "tag": None}
