# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import dataclasses

import pytest

from ansible_collections.strata.containers.plugins.module_utils._errors import DockerfileSyntaxError
from ansible_collections.strata.containers.plugins.module_utils.build import parser
from ansible_collections.strata.containers.plugins.module_utils.build.instructions import Instruction


def summary(dockerfile):
    """The stages as (name, base, platform, [(line, keyword, args, json_form, flags)])."""
    return [(s.name, s.base, s.platform, [(i.line, i.keyword, i.args, i.json_form, i.flags) for i in s.instructions])
            for s in dockerfile.stages]


def test_seed_example():
    df = parser.parse('FROM scratch\nADD hello /\nCMD ["/hello"]\n')
    assert (df.directives, df.args_before_from, df.escape) == ({}, [], "\\")
    assert summary(df) == [(None, "scratch", None, [(2, "ADD", ["hello /"], False, {}), (3, "CMD", ["/hello"], True, {})])]
    stage = df.stages[0]
    assert (stage.index, stage.line) == (0, 1)
    assert stage.instructions[0] == Instruction(2, "ADD", "ADD hello /", ["hello /"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        stage.instructions[0].keyword = "COPY"


def test_multi_stage():
    df = parser.parse(
        "ARG BASE=busybox\n"
        "ARG TAG\n"
        "FROM --platform=$BUILDPLATFORM ${BASE}:${TAG:-latest} AS Build\n"
        "RUN mkdir /out && echo hi > /out/hi\n"
        "\n"
        "FROM scratch\n"
        "COPY --from=build --chown=1:1 --chmod=0644 --link /out /\n"
        "copy --from=0 [\"/out/hi\", \"/hi\"]\n")
    assert [(a.line, a.args) for a in df.args_before_from] == [(1, ["BASE=busybox"]), (2, ["TAG"])]
    assert summary(df) == [
        ("build", "${BASE}:${TAG:-latest}", "$BUILDPLATFORM", [(4, "RUN", ["mkdir /out && echo hi > /out/hi"], False, {})]),
        (None, "scratch", None, [
            (7, "COPY", ["/out /"], False, {"from": "build", "chown": "1:1", "chmod": "0644", "link": "true"}),
            (8, "COPY", ["/out/hi", "/hi"], True, {"from": "0"})])]
    assert df.stage("BUILD") is df.stages[0] and df.stage(0) is df.stages[0] and df.stage("1") is df.stages[1]
    assert df.stage("alpine") is None
    assert df.stages[1].instructions[0].flag("from") == "build" and df.stages[1].instructions[0].flag("x", "d") == "d"


def test_continuations_comments_and_blank_lines():
    text = ("# a comment\n"
            "FROM alpine\r\n"
            "  RUN apk add \\\r\n"
            "    # inside the continuation\n"
            "\n"
            "      curl \\  \n"
            "   \t\n"
            "      git\n"
            "   # indented comment\n"
            "RUN echo a\\\\\n"
            "RUN echo \\\n")
    df = parser.parse(text)
    assert summary(df)[0][3] == [
        (3, "RUN", ["apk add       curl       git"], False, {}),
        (10, "RUN", ["echo a\\\\"], False, {}),   # an escaped escape does not continue
        (11, "RUN", ["echo"], False, {}),         # a continuation at the end of the file just ends
    ]
    assert df.stages[0].instructions[0].original == "RUN apk add       curl       git"


def test_escape_directive_and_windows_paths():
    df = parser.parse("# escape=`\n"
                      "# syntax=docker/dockerfile:1\n"
                      "FROM mcr.microsoft.com/windows/servercore\n"
                      "COPY testfile.txt c:\\\n"
                      "RUN dir c:\\\n"
                      "WORKDIR c:\\windows\\system32\n"
                      "RUN powershell -Command `\n"
                      "    Get-ChildItem `\n"
                      "    | Select Name\n")
    assert df.directives == {"escape": "`", "syntax": "docker/dockerfile:1"} and df.escape == "`"
    assert summary(df)[0][3] == [
        (4, "COPY", ["testfile.txt c:\\"], False, {}),
        (5, "RUN", ["dir c:\\"], False, {}),
        (6, "WORKDIR", ["c:\\windows\\system32"], False, {}),
        (7, "RUN", ["powershell -Command     Get-ChildItem     | Select Name"], False, {}),
    ]
    # Without the directive the backslashes continue the lines.
    df = parser.parse("FROM x\nCOPY testfile.txt c:\\\nRUN dir c:\\\n")
    assert summary(df)[0][3] == [(2, "COPY", ["testfile.txt c:RUN dir c:"], False, {})]


@pytest.mark.parametrize("text,directives", [
    ("# ESCAPE = `\n# check=skip=all\nFROM x\n", {"escape": "`", "check": "skip=all"}),
    ("# unknown=1\n# escape=`\nFROM x\n", {}),     # an unknown directive ends the directives
    ("\n# escape=`\nFROM x\n", {}),               # so does a blank line
    ("# comment\n# escape=`\nFROM x\n", {}),      # and a comment
    ("FROM x\n# escape=`\n", {}),
])
def test_directives_only_at_the_top(text, directives):
    assert parser.parse(text).directives == directives


def test_keywords_are_case_insensitive_and_forms():
    df = parser.parse("from alpine as Base\n"
                      "run [\"sh\", \"-c\", \"echo $HOME\"]\n"
                      "cmd [ \"not json\n"
                      "entrypoint []\n"
                      "shell [\"/bin/bash\", \"-c\"]\n"
                      "Env A=1 B=\"two words\" C=it\\'s\n"
                      "env LEGACY some value\n"
                      "label \"com.example.a\"=\"x y\" b=c\n"
                      "arg X Y=1\n"
                      "workdir /app\n"
                      "user 1000:1000\n"
                      "expose 80/tcp 443\n"
                      "volume [\"/data\", \"/logs\"]\n"
                      "volume /a /b\n"
                      "stopsignal SIGTERM\n"
                      "maintainer someone <a@b>\n")
    assert df.stages[0].name == "base"
    got = [(i.keyword, i.args, i.json_form) for i in df.stages[0].instructions]
    assert got == [
        ("RUN", ["sh", "-c", "echo $HOME"], True),
        ("CMD", ['[ "not json'], False),
        ("ENTRYPOINT", [], True),
        ("SHELL", ["/bin/bash", "-c"], True),
        ("ENV", ["A=1 B=\"two words\" C=it\\'s"], False),
        ("ENV", ["LEGACY some value"], False),
        ("LABEL", ["\"com.example.a\"=\"x y\" b=c"], False),
        ("ARG", ["X Y=1"], False),
        ("WORKDIR", ["/app"], False),
        ("USER", ["1000:1000"], False),
        ("EXPOSE", ["80/tcp 443"], False),
        ("VOLUME", ["/data", "/logs"], True),
        ("VOLUME", ["/a /b"], False),
        ("STOPSIGNAL", ["SIGTERM"], False),
        ("MAINTAINER", ["someone <a@b>"], False),
    ]


def test_onbuild_stores_the_trigger():
    df = parser.parse("FROM x\nONBUILD COPY --chown=1 [\"a\", \"/b\"]\nonbuild run echo hi\n")
    first, second = df.stages[0].instructions
    assert (first.keyword, first.args, first.flags) == ("ONBUILD", ['COPY --chown=1 ["a", "/b"]'], {})
    assert (first.inner.keyword, first.inner.args, first.inner.json_form, first.inner.flags, first.inner.line) == (
        "COPY", ["a", "/b"], True, {"chown": "1"}, 2)
    assert (second.args, second.inner.keyword, second.inner.args) == (["run echo hi"], "RUN", ["echo hi"])


@pytest.mark.parametrize("line,args,json_form,flags", [
    ("HEALTHCHECK NONE", ["NONE"], False, {}),
    ("HEALTHCHECK none", ["NONE"], False, {}),
    ("HEALTHCHECK --interval=5m --timeout=3s --start-period=1.5s --retries=3 CMD curl -f http://localhost/ || exit 1",
     ["CMD-SHELL", "curl -f http://localhost/ || exit 1"], False, {"interval": "5m", "timeout": "3s", "start-period": "1.5s", "retries": "3"}),
    ('HEALTHCHECK CMD ["/bin/check", "-q"]', ["CMD", "/bin/check", "-q"], True, {}),
])
def test_healthcheck(line, args, json_form, flags):
    instruction = parser.parse("FROM x\n" + line).stages[0].instructions[0]
    assert (instruction.args, instruction.json_form, instruction.flags) == (args, json_form, flags)


@pytest.mark.parametrize("text,duration", [
    ("0", 0), ("1ns", 1), ("1.5s", 1500000000), ("1m30s", 90000000000), ("2h", 7200000000000), ("500ms", 500000000),
    ("-1s", -1000000000), ("1\u00b5s", 1000), ("", None), ("1", None), ("s", None), ("1x", None), (".s", None),
])
def test_parse_duration(text, duration):
    assert parser.parse_duration(text) == duration


@pytest.mark.parametrize("text,line,message", [
    ("FROM x\nRUN true\n\n\n\n\nRNU make\n", 7, "unknown instruction: RNU"),
    ("RUN true\nFROM x\n", 1, "RUN before the first FROM"),
    ("ARG a\nENV b=1\nFROM x\n", 2, "ENV before the first FROM"),
    ("FROM x\nRUN\n", 2, "RUN requires at least one argument"),
    ("FROM x\nRUN []\n", 2, "RUN requires at least one argument"),
    ("FROM x\nCOPY only\n", 2, "COPY requires at least two arguments"),
    ("FROM x\nADD [\"only\"]\n", 2, "ADD requires at least two arguments"),
    ("FROM\n", 1, "FROM requires at least one argument"),
    ("FROM a AS\n", 1, "FROM requires either one or three arguments"),
    ("FROM a b c\n", 1, "FROM requires either one or three arguments"),
    ("FROM a AS 1st\n", 1, "invalid name for build stage: '1st'"),
    ("FROM a AS b$c\n", 1, "invalid name for build stage"),
    ("FROM a AS one\nRUN x\nFROM b AS ONE\n", 3, "duplicate stage name 'one' (first on line 1)"),
    ("FROM x\nSHELL /bin/sh -c\n", 2, "SHELL requires the arguments to be in JSON form"),
    ("FROM x\nSHELL []\n", 2, "SHELL requires at least one argument"),
    ("FROM x\nCMD [\"a\", 1]\n", 2, "arrays must be comprised of strings only"),
    ("FROM x\nENV\n", 2, "ENV requires at least one argument"),
    ("FROM x\nENV onlykey\n", 2, "ENV must have two arguments"),
    ("FROM x\nENV a=1 b\n", 2, "can't find = in 'b'"),
    ("FROM x\nLABEL =v\n", 2, "LABEL names can not be blank"),
    ("FROM x\nLABEL a=\"unterminated\n", 2, "matching double-quote"),
    ("FROM x\nARG =1\n", 2, "ARG names can not be blank"),
    ("FROM x\nONBUILD ONBUILD RUN x\n", 2, "Chaining ONBUILD"),
    ("FROM x\nONBUILD FROM y\n", 2, "FROM isn't allowed as an ONBUILD trigger"),
    ("FROM x\nONBUILD maintainer me\n", 2, "MAINTAINER isn't allowed as an ONBUILD trigger"),
    ("FROM x\nONBUILD RNU x\n", 2, "unknown instruction: RNU"),
    ("FROM x\nONBUILD\n", 2, "ONBUILD requires at least one argument"),
    ("FROM x\nHEALTHCHECK\n", 2, "HEALTHCHECK requires at least one argument"),
    ("FROM x\nHEALTHCHECK NONE now\n", 2, "HEALTHCHECK NONE takes no arguments"),
    ("FROM x\nHEALTHCHECK RUN x\n", 2, "Unknown type 'RUN' in HEALTHCHECK"),
    ("FROM x\nHEALTHCHECK CMD\n", 2, "Missing command after HEALTHCHECK CMD"),
    ("FROM x\nHEALTHCHECK --interval=0s CMD x\n", 2, "--interval=0s"),
    ("FROM x\nHEALTHCHECK --timeout=5 CMD x\n", 2, "--timeout=5"),
    ("FROM x\nHEALTHCHECK --retries=0 CMD x\n", 2, "--retries must be at least 1"),
    ("FROM x\nRUN --mount=type=cache,target=/c make\n", 2, "unknown flag for RUN: --mount"),
    ("FROM x\nADD --from=y a b\n", 2, "unknown flag for ADD: --from"),
    ("FROM x\nCOPY --from a b\n", 2, "missing a value on flag: --from"),
    ("FROM x\nCOPY --link=maybe a b\n", 2, "expecting boolean value for flag --link"),
    ("FROM x\nCOPY --chown=1 --chown=2 a b\n", 2, "duplicate flag specified: --chown"),
    ("FROM x\nVOLUME [\"\"]\n", 2, "VOLUME specified can not be an empty string"),
    ("FROM x\nRUN cat <<EOF\nhello\nEOF\n", 2, "heredocs (<<EOF) are not supported"),
    ("# escape=x\nFROM x\n", 1, "invalid escape token 'x'"),
    ("# escape=`\n# escape=\\\nFROM x\n", 2, "only one escape parser directive can be used"),
    ("ARG a\n", 1, "the Dockerfile has no FROM instruction"),
    ("FROM x\nRUN a \\\n  b \\\n  c\nBAD\n", 5, "unknown instruction: BAD"),
])
def test_errors_name_the_line(text, line, message):
    with pytest.raises(DockerfileSyntaxError) as info:
        parser.parse(text)
    assert info.value.line == line and info.value.details["line"] == line
    assert str(info.value).startswith("line %d: " % line)
    assert message in str(info.value)


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "  \\\n"])
def test_empty_file(text):
    with pytest.raises(DockerfileSyntaxError, match="file with no instructions"):
        parser.parse(text)


def test_limits():
    with pytest.raises(DockerfileSyntaxError, match="larger than 1 MiB"):
        parser.parse("FROM x\n" + "# pad\n" * 200000)
    with pytest.raises(DockerfileSyntaxError, match="larger than 1 MiB"):
        parser.parse(b"FROM x\nRUN " + b"x" * parser.MAX_BYTES)
    with pytest.raises(DockerfileSyntaxError, match="more than 10000 instructions") as info:
        parser.parse("FROM x\n" + "RUN true\n" * 10000)
    assert info.value.line == 10001
    assert len(parser.parse("FROM x\n" + "RUN true\n" * 9999).stages[0].instructions) == 9999


def test_bytes_and_bom():
    df = parser.parse("\ufeffFROM x\nLABEL a=\u00e9\n".encode("utf-8"))
    assert df.stages[0].instructions[0].args == ["a=\u00e9"]
    with pytest.raises(DockerfileSyntaxError, match="not valid UTF-8"):
        parser.parse(b"FROM x\nLABEL a=\xff\n")


@pytest.mark.parametrize("text,keep,words", [
    ('a "b c" \'d e\' f\\ g', False, ["a", "b c", "d e", "f g"]),
    ('a "b c" \'d e\' f\\ g', True, ["a", '"b c"', "'d e'", "f\\ g"]),
    ('"" x', False, ["", "x"]),
    ('"a\\"b" \'c\\d\'', False, ['a"b', "c\\d"]),
    ("  80/tcp\t443  ", False, ["80/tcp", "443"]),
])
def test_split_words(text, keep, words):
    assert parser.split_words(text, keep_quotes=keep) == words


def test_split_words_with_backtick_escape():
    assert parser.split_words("c:\\a `\" b", "`") == ["c:\\a", '"', "b"]


@pytest.mark.parametrize("text,keyword,keep,pairs", [
    ('a=1 b="two words" c=it\\\'s d=', "ENV", False, [("a", "1"), ("b", "two words"), ("c", "it's"), ("d", "")]),
    ('a=1 b="two words"', "ENV", True, [("a", "1"), ("b", '"two words"')]),
    ("key the value  here", "ENV", False, [("key", "the value  here")]),
    ('"com.example.a"="x y" b=c', "LABEL", False, [("com.example.a", "x y"), ("b", "c")]),
    ("X Y=1 Z=", "ARG", False, [("X", None), ("Y", "1"), ("Z", "")]),
    ("a=x=y", "ENV", False, [("a", "x=y")]),
])
def test_split_key_values(text, keyword, keep, pairs):
    assert parser.split_key_values(text, keep_quotes=keep, keyword=keyword) == pairs


def test_split_key_values_errors_carry_the_line():
    with pytest.raises(DockerfileSyntaxError, match="can't find =") as info:
        parser.split_key_values("a=1 b", line=9)
    assert info.value.line == 9
    with pytest.raises(DockerfileSyntaxError, match="single-quote"):
        parser.split_words("'open")


def test_deeply_nested_json_form_is_shell_form_not_a_recursion_error():
    """Go's JSON reader refuses it (too deep), so Docker runs it as a shell command; so do we."""
    deep = "[" * 100000 + "]" * 100000
    df = parser.parse("FROM scratch\nCMD %s\n" % deep)
    assert summary(df)[0][3] == [(2, "CMD", [deep], False, {})]
