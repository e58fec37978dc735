"""The methods ``dataclasses`` writes come from the last start's kept code (``core.code_cache``), and behave as
compiled; anything the file does not hold exactly is compiled as before.

Each start is a fresh interpreter, with its own bytecode folder (``PYTHONPYCACHEPREFIX``).
"""

from __future__ import annotations

import json
import marshal
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from termii_desk.core import code_cache

ROOT = Path(__file__).resolve().parents[2]

# A dataclass of each kind whose methods dataclasses writes: frozen (hash, setattr), ordered, with defaults, and
# one that uses a name of its module's (a default factory) and a class variable.
CLASSES = """
import dataclasses, json, sys
from typing import ClassVar
from termii_desk.core.code_cache import keep_dataclass_code
kept = keep_dataclass_code()
FIELD = {field!r}

def make():
    return [FIELD]

@dataclasses.dataclass(frozen=True, order=True)
class Point:
    x: int
    y: int = 2

@dataclasses.dataclass(slots=True)
class Bag:
    items: list = dataclasses.field(default_factory=make)
    size: ClassVar[int] = 3

p, q = Point(1), Point(1, 3)
try:
    p.x = 5
    frozen = False
except dataclasses.FrozenInstanceError:
    frozen = True
print(json.dumps({{"compiled": kept.compiled, "file": kept.path, "repr": repr(p), "lt": p < q, "eq": p == Point(1),
                  "hash": hash(p) == hash(Point(1, 2)), "frozen": frozen, "bag": Bag().items, "size": Bag.size}}))
"""


def _start(prefix: Path, field: str = "a", **env: str) -> dict[str, object]:
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}
    environ.update(PYTHONPYCACHEPREFIX=str(prefix), **env)
    done = subprocess.run([sys.executable, "-c", CLASSES.format(field=field)], cwd=ROOT, env=environ,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _behaves(result: dict[str, object], field: str = "a") -> None:
    assert result["repr"] == "Point(x=1, y=2)"
    assert result["lt"] is True and result["eq"] is True and result["hash"] is True and result["frozen"] is True
    assert result["bag"] == [field] and result["size"] == 3


def test_the_second_start_compiles_none_of_the_dataclass_methods(tmp_path: Path) -> None:
    first = _start(tmp_path)
    assert isinstance(first["compiled"], int) and first["compiled"] >= 6  # __init__, __repr__, __eq__, order...
    kept = Path(str(first["file"]))
    assert kept.is_file() and str(kept).startswith(str(tmp_path))  # where Python keeps this run's bytecode
    second = _start(tmp_path)
    assert second["compiled"] == 0
    _behaves(first)
    _behaves(second)


def test_a_changed_class_is_compiled_and_the_file_grows_to_hold_both(tmp_path: Path) -> None:
    _start(tmp_path)
    changed = _start(tmp_path, field="b", PYTHONOPTIMIZE="1")  # other -O level: kept apart
    assert isinstance(changed["compiled"], int) and changed["compiled"] >= 6
    _behaves(changed, "b")
    assert _start(tmp_path)["compiled"] == 0  # the first one's still there
    assert _start(tmp_path, field="b", PYTHONOPTIMIZE="1")["compiled"] == 0


def test_a_damaged_or_foreign_file_is_compiled_again_and_replaced(tmp_path: Path) -> None:
    kept = Path(str(_start(tmp_path)["file"]))
    for damage in (b"", kept.read_bytes()[:40], b"\x00" * 16 + b"junk", b"\x01\x02\x03\x04" + kept.read_bytes()[4:]):
        kept.write_bytes(damage)
        again = _start(tmp_path)
        assert isinstance(again["compiled"], int) and again["compiled"] >= 6
        _behaves(again)
        assert kept.read_bytes().startswith(code_cache.HEADER)
        assert _start(tmp_path)["compiled"] == 0


def test_nothing_is_written_when_python_writes_no_bytecode(tmp_path: Path) -> None:
    result = _start(tmp_path, PYTHONDONTWRITEBYTECODE="1")
    _behaves(result)
    assert not Path(str(result["file"])).exists()


def test_exec_passes_code_objects_and_other_namespaces_through(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    kept = code_cache.DataclassCode(str(tmp_path / "kept.pyc"))
    namespace: dict[str, object] = {}
    kept.exec(compile("made = 1", "<string>", "exec"), namespace)
    kept.exec("def f():\n    return made + 1\n", namespace)
    assert namespace["made"] == 1 and namespace["f"]() == 2  # type: ignore[operator]
    assert kept.compiled == 1
    kept.save()
    again = code_cache.DataclassCode(str(tmp_path / "kept.pyc"))
    other: dict[str, object] = {"made": 41}
    again.exec("def f():\n    return made + 1\n", other)
    assert again.compiled == 0 and other["f"]() == 42  # type: ignore[operator]


def test_a_command_keeps_the_cores_dataclass_code_and_patterns(tmp_path: Path) -> None:
    """The command line keeps both as the window does: the second ``history`` compiles none of them."""
    script = ("import json, sys\nfrom termii_desk import cli\nfrom termii_desk.core import code_cache\n"
              "code = cli.main(['history'])\n"
              "print(json.dumps({'code': code, 'compiled': code_cache._dataclass_code.compiled,\n"
              "                  'patterns': code_cache._regex_code.compiled}))")
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}
    environ.update(PYTHONPYCACHEPREFIX=str(tmp_path / "pyc"), TERMII_DESK_HOME=str(tmp_path / "home"),
                   TERMII_API_KEY="k" * 20)
    runs = []
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=environ, capture_output=True, text=True,
                              timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    assert runs[0]["code"] == 0 and runs[0]["compiled"] >= 20  # the core's own dataclasses among them
    assert runs[0]["patterns"] >= 8  # the modules' own, as they are imported
    assert runs[1] == {"code": 0, "compiled": 0, "patterns": 0}


# A module's top-level patterns (kept), and what its functions compile from data (never kept).
PATTERN_MODULE = r"""
import re
NAMED = re.compile(r"(?P<cc>\+?\d{1,3})[ -]?(?P<rest>\d+)")
VERBOSE = re.compile(r"  hello \s+ world  # a comment", re.I | re.X)
BYTES = re.compile(rb"api_key=([^&]+)")
SAME_AS_STR = re.compile(b"(a)(b)?(?:c)")
GROUPS = re.compile(r"(a)(b)?(?:c)")
FLAGS = re.compile(r"(?s).", re.M)
BEHIND = re.findall(r"(?<=\d)(?=(\d{3})+$)", "1234567")
SCANNER = re.Scanner([(r"\d+", lambda s, t: ("n", t)), (r"\s+", None)])

def from_data(text):
    return re.compile(re.escape(text) + "+")
"""

PATTERNS = r"""
import json, sys
from termii_desk.core.code_cache import keep_regex_code
kept = keep_regex_code()
import kept_patterns as m
found = {
    "named": m.NAMED.match("+234 8031234567").groupdict(),
    "flags": bool(m.VERBOSE.search("say HELLO   World")),
    "bytes": m.BYTES.sub(b"api_key=***", b"x?api_key=s3cret&y=1").decode(),
    "bytes_groups": m.SAME_AS_STR.groups, "groups": m.GROUPS.groups, "behind": m.BEHIND,
    "flags_value": m.FLAGS.flags,
    "scanner": [t for t, _ in m.SCANNER.scan("1 22")[0]],
    "data": bool(m.from_data(sys.argv[1]).search("x" + sys.argv[1] + "y")),
}
print(json.dumps({"compiled": kept.compiled, "file": kept.path, "found": found}))
"""


def _patterns(prefix: Path, data: str = "s3cret-data", **env: str) -> dict[str, object]:
    modules = prefix / "modules"
    modules.mkdir(parents=True, exist_ok=True)
    (modules / "kept_patterns.py").write_text(PATTERN_MODULE)
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}
    environ.update(PYTHONPYCACHEPREFIX=str(prefix / "pyc"), PYTHONPATH=str(modules), **env)
    done = subprocess.run([sys.executable, "-c", PATTERNS, data], cwd=ROOT, env=environ, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_the_second_start_parses_no_pattern_and_every_pattern_matches_as_compiled(tmp_path: Path) -> None:
    first = _patterns(tmp_path)
    assert isinstance(first["compiled"], int) and first["compiled"] >= 6
    assert Path(str(first["file"])).is_file()
    second = _patterns(tmp_path)
    assert second["compiled"] == 0
    assert second["found"] == first["found"] == {
        "named": {"cc": "+234", "rest": "8031234567"}, "flags": True, "bytes": "x?api_key=***&y=1",
        "bytes_groups": 2, "groups": 2, "behind": ["567", "567"], "flags_value": re.compile(r"(?s).", re.M).flags,
        "scanner": ["n", "n"], "data": True}


def test_patterns_made_of_data_are_never_kept_nor_the_redactions(tmp_path: Path) -> None:
    """Only fixed texts are written: not what a function compiles from data, and never the redaction's patterns
    (made of the API key, its encodings and the codes), even when a module redacts while it is imported."""
    import base64

    secret = "k3y-" + "Zq7" * 8
    # Redacted by a function, and by a module's top-level code while it is imported (as a log line would be).
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / "redacts_at_import.py").write_text(
        "import sys\nfrom termii_desk.core import scrub\n"
        "TEXT = 'café ' + sys.argv[2] + ' code 907715 ' + sys.argv[2].encode().hex()\n"
        "REDACTED = scrub.redact_secrets(TEXT, [sys.argv[2], '907715'])\n")
    code = ("import json, sys\nfrom termii_desk.core.code_cache import keep_regex_code\n"
            "kept = keep_regex_code()\nfrom termii_desk.core import logs, scrub\n"
            "logs.register_secret(sys.argv[1])\nlogs.register_secret('482913')\n"
            "text = 'café ' + sys.argv[1] + ' code 482913 ' + sys.argv[1].encode().hex()\n"
            "redacted = scrub.redact_secrets(text, [sys.argv[1], '482913'])\n"
            "import redacts_at_import\n"
            "print(json.dumps({'redacted': redacted + redacts_at_import.REDACTED, 'file': kept.path}))")
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}
    environ.update(PYTHONPYCACHEPREFIX=str(tmp_path / "pyc"), PYTHONPATH=str(modules))
    other = "imp-" + "Wx9" * 8  # redacted only while a module is imported
    done = subprocess.run([sys.executable, "-c", code, secret, other], cwd=ROOT, env=environ, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert not {secret, "482913", other, "907715"} & set(result["redacted"].split())
    written = Path(result["file"]).read_bytes()
    _patterns(tmp_path / "more", data=secret)  # a module's function compiling a pattern of it
    written += b"".join(path.read_bytes() for path in (tmp_path / "more").rglob("_regex_code*"))
    assert len(code_cache.read(result["file"])) > 5  # the modules' own patterns are kept
    for value in (secret, other):
        for form in (value, value.encode().hex(), base64.b64encode(value.encode()).decode(), re.escape(value)):
            assert form.encode() not in written and form.encode("utf-16-le") not in written, form
    assert b"482913" not in written and b"907715" not in written


def test_programs_from_another_regular_expression_engine_are_not_used(tmp_path: Path) -> None:
    path = Path(str(_patterns(tmp_path)["file"]))
    kept = code_cache.read(str(path))
    assert kept[""][0] == "_sre"
    # The same file from a Python whose engine differs: every pattern must be compiled again, right.
    path.write_bytes(code_cache.HEADER + marshal.dumps({**kept, "": ("_sre", -1, *kept[""][2:])}))
    again = _patterns(tmp_path)
    assert isinstance(again["compiled"], int) and again["compiled"] >= 6
    assert again["found"] == _patterns(tmp_path)["found"]
