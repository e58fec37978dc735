"""Single-instance, in one process: the private folder, names per home, hand-over, stale sockets, strangers.

The two-process behaviour (a real second ``termii-desk``, a killed desk) is in tests/e2e/test_single_instance.py.
"""

from __future__ import annotations

import os
import socket
import stat
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from termii_desk.core import instance
from termii_desk.core.instance import InstanceError, Primary, claim

pytestmark = pytest.mark.skipif(not instance.supported(), reason="Unix sockets and flock only")


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private runtime folder with a short path (a Unix socket's path has ~100 bytes)."""
    folder = Path(tempfile.mkdtemp(prefix="rt-", dir="/tmp"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    yield folder
    for path in sorted(folder.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() and not path.is_symlink() else path.unlink()
    folder.rmdir()


@pytest.fixture
def primary(runtime: Path) -> Iterator[Primary]:
    answer, desk = claim([])
    assert answer is None and desk is not None
    yield desk
    desk.close()


def _wait(condition: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_the_first_start_is_the_desk_in_a_private_folder(primary: Primary, runtime: Path) -> None:
    folder = Path(primary.path).parent
    assert folder == runtime / "termii-desk"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_ISSOCK(os.stat(primary.path).st_mode) and stat.S_IMODE(os.stat(primary.path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(primary.lock_path).st_mode) == 0o600


def test_a_second_start_hands_over_its_arguments(primary: Primary) -> None:
    got: list[dict[str, object]] = []
    # The desk takes requests once its window is painted; a start before that waits for it, then hands over.
    threading.Timer(0.3, lambda: primary.on_request(got.append)).start()
    answer, desk = claim([])
    assert desk is None and answer is not None and answer["note"] == ""
    answer, desk = claim(["--region", "GH"], {**os.environ, "XDG_ACTIVATION_TOKEN": "token-1"})
    assert desk is None and answer is not None
    assert "--region GH" in answer["note"] and "was not applied" in answer["note"]
    _wait(lambda: len(got) == 2)
    assert [r["argv"] for r in got] == [[], ["--region", "GH"]]
    assert got[1]["activation"] == {"XDG_ACTIVATION_TOKEN": "token-1"} and got[1]["note"] == answer["note"]


def test_requests_while_nobody_takes_them_are_kept_in_order(primary: Primary) -> None:
    got: list[dict[str, object]] = []
    primary.on_request(got.append)
    primary.on_request(None)  # e.g. the window is closing
    claim(["--region", "GH"])
    claim([])
    assert got == []
    primary.on_request(got.append)
    assert [r["argv"] for r in got] == [["--region", "GH"], []]


def test_the_same_options_as_the_running_desk_need_no_note(runtime: Path) -> None:
    _, desk = claim(["--region", "GH"])
    assert desk is not None
    desk.on_request(lambda _request: None)
    try:
        answer, _ = claim(["--region", "GH"])
        assert answer is not None and answer["note"] == ""
    finally:
        desk.close()


def test_once_closed_the_next_start_is_the_desk_and_nothing_is_left(primary: Primary, runtime: Path) -> None:
    primary.close()
    assert not os.path.exists(primary.path) and not os.path.exists(primary.lock_path)
    answer, desk = claim([])
    assert answer is None and desk is not None
    desk.close()
    assert list((runtime / "termii-desk").iterdir()) == []


def test_a_killed_desks_socket_is_replaced(runtime: Path) -> None:
    # What kill -9 leaves: the socket file, bound and never unlinked, with nobody listening; its lock is free.
    folder = runtime / "termii-desk"
    folder.mkdir(mode=0o700)
    path = folder / (instance.instance_name() + ".sock")
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(path))
    dead.close()
    (folder / (instance.instance_name() + ".lock")).touch(mode=0o600)
    answer, desk = claim([])
    assert answer is None and desk is not None
    desk.on_request(lambda _request: None)
    try:
        again, _ = claim([])
        assert again is not None  # the new desk answers on the replaced socket
    finally:
        desk.close()


def test_homes_are_separate_desks_and_one_home_is_one_desk(runtime: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (tmp_path / "link").symlink_to(home)
    spellings = [str(home), str(home) + "/", str(tmp_path / "link"), str(tmp_path / "." / "home")]
    names = {instance.instance_name({"TERMII_DESK_HOME": s}) for s in spellings}
    assert len(names) == 1
    assert instance.instance_name({"TERMII_DESK_HOME": str(tmp_path / "other")}) not in names
    assert instance.instance_name({}) not in names  # the user's own folders
    assert instance.instance_name({"XDG_DATA_HOME": "/elsewhere"}) != instance.instance_name({})

    monkeypatch.setenv("TERMII_DESK_HOME", str(home))
    _, first = claim([])
    monkeypatch.setenv("TERMII_DESK_HOME", str(tmp_path / "other"))
    _, second = claim([])
    assert first is not None and second is not None  # two homes: two desks
    first.on_request(lambda _request: None)
    monkeypatch.setenv("TERMII_DESK_HOME", str(tmp_path / "link"))
    answer, third = claim([])
    assert answer is not None and third is None  # the first home, spelt differently: handed over
    first.close()
    second.close()


def test_a_stranger_on_the_socket_does_not_stop_the_desk(primary: Primary) -> None:
    got: list[dict[str, object]] = []
    primary.on_request(got.append)
    for junk in (b"not json\n", b'{"protocol": "other"}\n', b"[1, 2]\n", b'{"protocol": "termii-desk/1", '
                 b'"argv": [1]}\n', b"x" * (instance.MAX_MESSAGE + 10), b""):
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        client.connect(primary.path)
        client.sendall(junk)
        client.shutdown(socket.SHUT_WR)
        assert client.recv(100) == b""  # no acknowledgement for what is not a desk's request
        client.close()
    answer, _ = claim([])
    assert answer is not None
    _wait(lambda: len(got) == 1)
    assert got[0]["argv"] == []


def test_a_desk_that_holds_the_lock_and_never_answers_gets_a_sentence(runtime: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import fcntl

    monkeypatch.setattr(instance, "LOCKED_RETRY_S", 0.2)
    folder = runtime / "termii-desk"
    folder.mkdir(mode=0o700)
    fd = os.open(folder / (instance.instance_name() + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        with pytest.raises(InstanceError, match="already open but does not answer"):
            claim([])
    finally:
        os.close(fd)


def test_two_starts_at_once_make_one_desk(runtime: Path) -> None:
    results: list[tuple[object, Primary | None]] = []
    barrier = threading.Barrier(4)

    def start() -> None:
        barrier.wait()
        answer, desk = claim([])
        if desk is not None:
            desk.on_request(lambda _request: None)
        results.append((answer, desk))

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    desks = [desk for _, desk in results if desk is not None]
    assert len(desks) == 1 and sum(answer is not None for answer, _ in results) == 3
    desks[0].close()


def test_no_private_folder_means_a_desk_of_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A runtime folder others can enter is not used; a fallback that is a symlink or not ours is never followed.
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(shared))
    decoy = Path(tempfile.mkdtemp(prefix="t-", dir="/tmp"))
    monkeypatch.setenv("TMPDIR", str(decoy))
    target = decoy / "elsewhere"
    target.mkdir(mode=0o700)
    (decoy / f"termii-desk-{os.getuid()}").symlink_to(target)
    try:
        assert instance.runtime_folder() is None
        assert claim([]) == (None, None)
        assert list(target.iterdir()) == [] and list(shared.iterdir()) == []
    finally:
        (decoy / f"termii-desk-{os.getuid()}").unlink()
        target.rmdir()
        decoy.rmdir()


def test_a_fallback_folder_is_made_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    base = Path(tempfile.mkdtemp(prefix="t-", dir="/tmp"))
    monkeypatch.setenv("TMPDIR", str(base))
    loose = base / f"termii-desk-{os.getuid()}"
    loose.mkdir()
    loose.chmod(0o755)
    try:
        assert instance.runtime_folder() == str(loose)
        assert stat.S_IMODE(loose.stat().st_mode) == 0o700
    finally:
        loose.rmdir()
        base.rmdir()


def test_the_demo_is_a_desk_of_its_own_and_one_demo_at_a_time(primary: Primary) -> None:
    got: list[dict[str, object]] = []
    primary.on_request(got.append)
    answer, demo = claim(["--demo"], demo=True)
    assert answer is None and demo is not None  # the agent's desk runs, and the demo is another desk
    try:
        assert Path(demo.path).name.startswith("demo-") and demo.path != primary.path
        assert demo.path == instance.socket_path(demo=True) and primary.path == instance.socket_path()
        demo_requests: list[dict[str, object]] = []
        demo.on_request(demo_requests.append)
        again, other = claim(["--demo"], demo=True)  # the second demo start brings the first to the front
        assert other is None and again is not None and again["note"] == ""
        _wait(lambda: len(demo_requests) == 1)
        assert demo_requests[0]["argv"] == ["--demo"]
        differs, _ = claim(["--demo", "--region", "GH"], demo=True)
        assert differs is not None and differs["note"].startswith("The Termii Desk demo was already open")
        handed, desk = claim([])  # and the agent's start still goes to the agent's desk, never to the demo
        assert desk is None and handed is not None
        _wait(lambda: len(got) == 1)
        # Each desk hears a request after answering it: the demo's second may come after the agent's desk's.
        _wait(lambda: len(demo_requests) >= 2)
        assert len(demo_requests) == 2
    finally:
        demo.close()
    assert claim([])[0] is not None  # closing the demo left the agent's desk as it was
