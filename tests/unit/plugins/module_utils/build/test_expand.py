# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible_collections.strata.containers.plugins.module_utils._errors import DockerfileSyntaxError
from ansible_collections.strata.containers.plugins.module_utils.build import parser
from ansible_collections.strata.containers.plugins.module_utils.build.expand import expand, expand_key_values, expand_words

ENV = {"a": "A", "spaced": "x y", "empty": "", "v": "v1.2.3", "path": "/usr/local/bin:/usr/bin", "quote": 'say "hi"'}


@pytest.mark.parametrize("text,expected", [
    ("$a ${a} ${a}b $ab", "A A Ab "),
    ("pre-$a-post", "pre-A-post"),
    ("\\$a", "$a"),
    ("'$a'", "$a"),
    ('"$a"', "A"),
    ('"\'$a\'"', "'A'"),
    ("${empty:-def} ${empty-def} ${unset-def} ${unset:-def} ${a:-def}", "def  def def A"),
    ("${empty:+alt}|${empty+alt}|${unset+alt}|${a:+alt}", "|alt||alt"),
    ("${a:-$spaced}", "A"),
    ("${unset:-$spaced}", "x y"),
    ("${v#v} ${v#*.} ${v##*.}", "1.2.3 2.3 3"),
    ("${path%:*} ${path%%:*} ${path##*/}", "/usr/local/bin /usr/local/bin bin"),
    ("${path/usr/opt} ${path//usr/opt}", "/opt/local/bin:/usr/bin /opt/local/bin:/opt/bin"),
    ("$ $/ ${a}$", "$ $/ A$"),
    ("$1 $$ ${#}", "  "),
    ('a\\ b "c\\"d" \'e\\f\'', 'a b c"d e\\f'),
    ('"a\\b"', "a\\b"),
])
def test_expand_without_quotes(text, expected):
    assert expand(text, ENV, keep_quotes=False) == expected


@pytest.mark.parametrize("text,expected", [
    ("'$a' \"$a\"", "'$a' \"A\""),
    ("\\$a", "\\$a"),
    ('"a\\"b" c\\ d', '"a\\"b" c\\ d'),
    ("$spaced", "x y"),
])
def test_expand_keeps_quotes_for_a_second_pass(text, expected):
    raw = expand(text, ENV)
    assert raw == expected
    # Removing the quotes afterwards gives what keep_quotes=False gives at once.
    assert " ".join(parser.split_words(raw)) == " ".join(expand_words(text, ENV))


def test_backtick_escape():
    assert expand("C:\\\\x `$a `` \"`\"\"", ENV, escape="`", keep_quotes=False) == 'C:\\\\x $a ` "'


@pytest.mark.parametrize("text,words", [
    ("$spaced \"$spaced\" '$spaced' end", ["x", "y", "x y", "$spaced", "end"]),
    ('src1 "src 2" /dest/', ["src1", "src 2", "/dest/"]),
    ('"" x', ["x"]),
    ("$empty", []),
])
def test_expand_words(text, words):
    assert expand_words(text, ENV) == words


def test_expand_key_values_expands_each_value_on_its_own():
    assert expand_key_values('a=$spaced b="$quote" c=\'$a\' d=${unset:-x}', ENV) == [
        ("a", "x y"), ("b", 'say "hi"'), ("c", "$a"), ("d", "x")]
    assert expand_key_values("legacy $spaced and \"q\"", ENV) == [("legacy", "x y and q")]
    assert expand_key_values("X Y=$a", ENV, keyword="ARG") == [("X", None), ("Y", "A")]
    # All values see the environment from before the instruction.
    assert expand_key_values("a=1 b=$a", {"a": "0"}) == [("a", "1"), ("b", "0")]


@pytest.mark.parametrize("text,message", [
    ("${a", "missing '}'"),
    ("${", "missing '}'"),
    ("${a:-x", "missing '}'"),
    ("${}", "bad substitution"),
    ("${:a}", "bad substitution"),
    ("${a b}", "unsupported modifier ( ) in substitution"),
    ("${a:=x}", "unsupported modifier (:=) in substitution"),
    ("'open", "matching single-quote"),
    ('"open', "matching double-quote"),
    ("${unset:?must be set}", "unset: must be set"),
    ("${unset?}", "unset: is not allowed to be unset"),
    ("${empty:?}", "empty: is not allowed to be empty"),
    ("${path/x", "missing '/' in ${}"),
    ("${v#\\x}", "invalid escape"),
])
def test_errors(text, message):
    with pytest.raises(DockerfileSyntaxError) as info:
        expand(text, ENV, line=4)
    assert info.value.line == 4 and str(info.value).startswith("line 4: failed to process")
    assert message in str(info.value)


def test_question_mark_passes_set_values():
    assert expand("${a:?} ${empty?}", ENV) == "A "
