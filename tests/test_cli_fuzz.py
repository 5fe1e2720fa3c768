"""No input makes the CLI print a traceback: whatever the arguments, standard input and
files hold (invalid UTF-8, lone surrogates, JSON nested 100,000 levels deep, wrong types,
missing files), the answer is an exit code and a plain message.

The fuzzing runs in-process through :func:`desktop.app.main` with standard input, output
and error as the real ones are (UTF-8, strict, error with backslashreplace), so an
unprintable string fails here as it would in a terminal; a few cases run as a real process
to pass argument bytes that are not UTF-8.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.app import main

DEEP = b"[" * 100_000 + b"]" * 100_000

# Any code point, surrogates and control characters included.
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=30)
TEXT = st.one_of(ANY_TEXT, st.sampled_from(["", "-", "0", "x", "template-1", "\udcff", "a\x00b"]))
NUMBER = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str), st.sampled_from(["1", "-1"])
)
FILE = st.one_of(st.sampled_from(["in.json", "-", "missing.json", "missing/x.json", "."]), TEXT)
OUT_FILE = st.sampled_from(["out.json", "-", ".", "missing/out.json", "in.json/x"])


def option(name: str, value: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.tuples(st.just(name), value).map(list), max_size=2).map(
        lambda pairs: [part for pair in pairs for part in pair]
    )


def command(*parts: Any) -> st.SearchStrategy[list[str]]:
    """A command line: fixed words, generated values and optional option lists."""
    strategies = [st.just([p]) if isinstance(p, str) else p for p in parts]
    return st.tuples(*strategies).map(lambda chunks: [word for chunk in chunks for word in chunk])


ONE = TEXT.map(lambda t: [t])
COMMANDS = st.one_of(
    command("templates", "list", option("--category", TEXT)),
    command("templates", "show", ONE),
    command(
        "templates",
        "add",
        ONE,
        option("--content", st.one_of(st.just("-"), TEXT)),
        option("--description", TEXT),
        option("--category", TEXT),
        option("--tag", TEXT),
    ),
    command(
        "templates",
        "edit",
        st.one_of(ONE, st.just(["first"])),
        option("--title", TEXT),
        option("--content", st.one_of(st.just("-"), TEXT)),
        option("--tag", TEXT),
    ),
    command("templates", "delete", ONE),
    command("search", ONE, option("--category", TEXT)),
    command("queue", "list", st.sampled_from([[], ["--failed"], ["--conflicts"]])),
    command("queue", "retry", st.one_of(NUMBER.map(lambda n: [n]), st.just(["--all-failed"]))),
    command("queue", "discard", st.one_of(NUMBER, TEXT).map(lambda n: [n])),
    command("import", FILE.map(lambda f: [f]), st.sampled_from([[], ["--dry-run"]])),
    command("export", OUT_FILE.map(lambda f: [f])),
    command("config", "show"),
    command(
        "config",
        "set",
        option("--user-id", TEXT),
        option("--region", TEXT),
        option("--table-prefix", TEXT),
        option("--sync-interval", st.one_of(NUMBER, TEXT)),
        option("--pull-overlap", NUMBER),
    ),
    command("config", "set-secret"),
    command("conflicts", "list"),
    command("conflicts", "show", st.one_of(NUMBER, TEXT).map(lambda n: [n])),
    command(
        "conflicts",
        "resolve",
        NUMBER.map(lambda n: [n]),
        st.one_of(st.just(["--mine"]), FILE.map(lambda f: ["--merged", f])),
    ),
    command("sync", "status"),
    command("tables", "cloudformation"),
    command("tables", "iam-policy", option("--region", TEXT), option("--account", TEXT)),
)
# A valid-looking document of each kind with generated values, so the fuzzing reaches past
# the JSON parser into the import's validation.
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), ANY_TEXT)
VALUE = st.recursive(
    SCALAR, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY_TEXT, inner, max_size=3)
)
FIELDS = st.dictionaries(
    st.sampled_from(
        [
            "id",
            "pageId",
            "title",
            "templateId",
            "isPublished",
            "isShared",
            "tags",
            "content",
            "nodes",
            "createdAt",
            "usageCount",
            "values",
            "name",
        ]
    ),
    VALUE,
    max_size=6,
)
DOCUMENT = st.one_of(
    st.lists(FIELDS, max_size=3),
    st.fixed_dictionaries({"pages": st.lists(FIELDS, max_size=3).map(json.dumps)}),
    st.fixed_dictionaries(
        {
            "gravyTemplatesOffline": st.dictionaries(ANY_TEXT, FIELDS, max_size=3),
            "gravySyncQueue": st.lists(
                st.fixed_dictionaries(
                    {
                        "action": st.one_of(
                            ANY_TEXT, st.sampled_from(["create", "update", "delete"])
                        ),
                        "data": FIELDS,
                        "timestamp": ANY_TEXT,
                    }
                ),
                max_size=3,
            ).map(json.dumps),
        }
    ),
    st.fixed_dictionaries(
        {
            "format": st.just("gravy-desktop-backup"),
            "version": st.just(1),
            "templates": st.lists(FIELDS, max_size=2),
            "nodes": st.lists(FIELDS, max_size=2),
            "presets": st.lists(FIELDS, max_size=2),
        }
    ),
)
# What standard input or the import file holds: bytes of any kind, JSON of the kinds above
# (with \ud800 escapes allowed: json.dumps writes a lone surrogate as one), deep nesting.
CONTENT = st.one_of(
    st.binary(max_size=64),
    ANY_TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")),
    DOCUMENT.map(lambda d: json.dumps(d).encode()),
    st.sampled_from([DEEP, b'{"pages": "' + b"[" * 100_000 + b'"}', b'[{"title": "\\ud800"}]']),
)
GLOBAL = st.lists(st.sampled_from(["--json", "-v"]), max_size=2, unique=True)


@contextmanager
def terminal(stdin: bytes) -> Iterator[tuple[io.BytesIO, io.BytesIO]]:
    """Standard streams as a UTF-8 terminal has them; yields the output and error bytes."""
    out, err = io.BytesIO(), io.BytesIO()
    stdout = io.TextIOWrapper(out, encoding="utf-8", errors="strict", write_through=True)
    stderr = io.TextIOWrapper(err, encoding="utf-8", errors="backslashreplace", write_through=True)
    saved = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8", errors="strict")
    try:
        with redirect_stdout(stdout), redirect_stderr(stderr):
            yield out, err
    finally:
        sys.stdin = saved
        for stream in (stdout, stderr):  # keep the bytes readable after the wrappers go
            stream.detach()


def run(db: Path, argv: list[str], stdin: bytes = b"") -> tuple[int, str, str]:
    """Exit code, output and error of ``gravy-desktop --db DB ARGV`` run in this process."""
    with terminal(stdin) as (out, err):
        try:
            code = main(["--db", str(db), *argv])
        except SystemExit as stop:  # argparse: --help (0) or a usage error (3)
            code = stop.code if isinstance(stop.code, int) else 3
    return code, out.getvalue().decode("utf-8"), err.getvalue().decode("utf-8")


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    before = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(before)


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(flags=GLOBAL, argv=COMMANDS, stdin=CONTENT, file=CONTENT)
def test_no_input_makes_the_cli_print_a_traceback(
    workdir: Path, flags: list[str], argv: list[str], stdin: bytes, file: bytes
) -> None:
    """Each run either works or ends with exit 1-3 and a plain message."""
    db = workdir / "fuzz.db"
    if not db.exists():
        assert run(db, ["templates", "add", "First"])[0] == 0
    (workdir / "in.json").write_bytes(file)
    argv = [part.replace("first", "template-1") for part in argv]
    code, out, err = run(db, [*flags, *argv], stdin)
    assert code in (0, 1, 2, 3), (code, err)
    assert "Traceback" not in err
    if code:
        assert (out + err).strip(), "a failure always says why"


@pytest.mark.parametrize(
    ("argv", "stdin", "says"),
    [
        ([b"templates", b"add", b"caf\xe9"], b"", "argument 5 is not valid text"),
        ([b"search", b"\xed\xa0\x80"], b"", "argument 4 is not valid text"),
        ([b"templates", b"add", b"T", b"--content", b"-"], b"<p>caf\xe9</p>", "not valid UTF-8"),
        ([b"import", b"-"], DEEP, "nested too deeply"),
        ([b"import", b"-"], b'{"pages": [{"id": "p", "title": "\\udc80"}]}', "not valid Unicode"),
        ([b"import", b"deep.json"], b"", "nested too deeply"),
        ([b"import", b"latin1.json"], b"", "not valid UTF-8"),
        ([b"conflicts", b"resolve", b"1", b"--merged", b"-"], b"\xff", "not valid UTF-8"),
        ([b"queue", b"discard", b"99999999999999999999999"], b"", "invalid integer value"),
    ],
)
def test_bytes_that_are_not_text_end_in_exit_3_as_a_real_process(
    tmp_path: Path, argv: list[bytes], stdin: bytes, says: str
) -> None:
    (tmp_path / "deep.json").write_bytes(DEEP)
    (tmp_path / "latin1.json").write_bytes('[{"title": "café"}]'.encode("latin-1"))
    command = [sys.executable.encode(), b"-m", b"desktop", b"--db", b"gravy.db", *argv]
    result = subprocess.run(command, input=stdin, capture_output=True, cwd=tmp_path, timeout=120)
    err = result.stderr.decode("utf-8", "replace")
    assert (result.returncode, "Traceback" in err) == (3, False), err
    assert says in err
