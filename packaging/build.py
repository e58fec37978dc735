"""Builds the Termii Desk executable: `python packaging/build.py [--onefile]` (any Python 3.10+).

Steps: a clean build virtualenv in build/pkg-venv (made again only when its requirements change); the
project installed into it non-editable, with PyInstaller; icons rendered from resources/icon.svg into
build/icons; the one-folder bundle dist/termii-desk/, its ICU data trimmed to root and English (packaging/icu.py,
Linux), and its archive dist/termii-desk-VERSION-linux-x86_64.tar.gz.
Then the sizes, and one start-time measurement of the bundle against the virtualenv, also written to
bench/results/packaged.json (packaged-onefile.json for --onefile). Nothing from the Python that runs this
script goes into the bundle.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

from icu import trim_icu_data  # packaging/icu.py, next to this script

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
DIST = ROOT / "dist"
VENV = BUILD / "pkg-venv"
ICONS = BUILD / "icons"
SPEC = ROOT / "packaging" / "termii-desk.spec"
BENCH_DIR = ROOT / "bench" / "results"
# What the build virtualenv holds besides the project's own dependencies (PySide6-Essentials, never PySide6).
BUILD_REQUIREMENTS = ["pyinstaller>=6.10", "pillow>=10"]
WINDOWS = sys.platform == "win32"
EXE_NAME = "termii-desk.exe" if WINDOWS else "termii-desk"


def run(*args: str | Path, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    print("+", " ".join(str(a) for a in args), flush=True)
    return subprocess.run([str(a) for a in args], check=True, text=True, **kwargs)


def venv_bin(name: str) -> Path:
    return VENV / ("Scripts" if WINDOWS else "bin") / (name + (".exe" if WINDOWS else ""))


def requirements_stamp() -> str:
    """Changes when pyproject.toml's dependencies, the build requirements or the Python version change."""
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    deps = pyproject.split("dependencies = [", 1)[1].split("]", 1)[0]
    team = pyproject.split("\nteam = [", 1)[1].split("]", 1)[0]  # the team extra ships in the bundle
    text = "\n".join([deps, team, *BUILD_REQUIREMENTS, platform.python_version()])
    return hashlib.sha256(text.encode()).hexdigest()


def ensure_venv() -> None:
    stamp_file = VENV / "requirements.sha256"
    stamp = requirements_stamp()
    python = venv_bin("python")
    if stamp_file.exists() and stamp_file.read_text() == stamp and python.exists():
        print(f"build virtualenv {VENV.relative_to(ROOT)} is up to date")
    else:
        shutil.rmtree(VENV, ignore_errors=True)
        run(sys.executable, "-m", "venv", VENV)
        run(python, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        # With the team extra: the PostgreSQL driver (psycopg with its own libpq) for a team's shared history.
        run(python, "-m", "pip", "install", "--quiet", f"{ROOT}[team]", *BUILD_REQUIREMENTS)
        stamp_file.write_text(stamp)
    # The project itself is reinstalled every time (not editable): the bundle gets exactly the current code.
    # setuptools builds in build/lib; clear it so a deleted module cannot linger in the wheel.
    shutil.rmtree(BUILD / "lib", ignore_errors=True)
    run(python, "-m", "pip", "install", "--quiet", "--no-deps", "--force-reinstall", ROOT)


def make_icons() -> None:
    svg = ROOT / "resources" / "icon.svg"
    if not svg.exists():
        raise SystemExit(f"build: {svg.relative_to(ROOT)} is missing; the icons are rendered from it")
    shutil.rmtree(ICONS, ignore_errors=True)
    run(venv_bin("python"), ROOT / "packaging" / "icons.py", svg, ICONS)


def run_pyinstaller(onefile: bool) -> Path:
    """Returns what was built: the bundle folder, or the one file."""
    distpath = DIST / "onefile" if onefile else DIST
    args: list[str | Path] = [venv_bin("pyinstaller"), "--noconfirm", "--log-level=WARN",
                              "--distpath", distpath, "--workpath", BUILD / "pyinstaller", SPEC]
    if onefile:
        args += ["--", "--onefile"]
    # From build/, so the source tree's termii_desk can never shadow the installed one.
    run(*args, cwd=BUILD)
    return distpath / (EXE_NAME if onefile else "termii-desk")


def make_archive(bundle: Path, version: str) -> Path:
    system = {"linux": "linux", "win32": "windows", "darwin": "macos"}.get(sys.platform, sys.platform)
    archive = DIST / f"termii-desk-{version}-{system}-{platform.machine().lower()}.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(bundle, arcname=bundle.name)
    return archive


def files_in(path: Path) -> list[Path]:
    return [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file() and not p.is_symlink()]


def size_mb(path: Path) -> float:
    """Size in MiB (what `du -sh` calls M)."""
    return round(sum(p.stat().st_size for p in files_in(path)) / 2**20, 1)


def largest_files(bundle: Path, count: int = 12) -> list[tuple[float, str]]:
    files = sorted(files_in(bundle), key=lambda p: p.stat().st_size, reverse=True)
    return [(round(p.stat().st_size / 2**20, 1), str(p.relative_to(bundle))) for p in files[:count]]


def timed(command: list[str | Path], env: dict[str, str]) -> float | None:
    start = time.perf_counter()
    done = subprocess.run([str(c) for c in command], env=env, capture_output=True, text=True, timeout=120)
    elapsed = round(time.perf_counter() - start, 2)
    if done.returncode != 0:
        print(f"  {command[-1]} exited {done.returncode}: {(done.stderr or done.stdout).strip()[-400:]}")
        return None
    return elapsed


def measure_start(executable: Path) -> dict[str, dict[str, float | None]]:
    """One run each of `--version` (start of the interpreter) and `--self-test` (window shown, one call sent)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TERMII_")}
    env.update(QT_QPA_PLATFORM="offscreen", TERMII_DESK_HOME=str(BUILD / "bench-home"))
    results: dict[str, dict[str, float | None]] = {}
    for label, command in (("bundle", executable), ("virtualenv", venv_bin("termii-desk"))):
        shutil.rmtree(BUILD / "bench-home", ignore_errors=True)
        results[label] = {
            "version_s": timed([command, "--version"], env),
            "self_test_s": timed([command, "--self-test"], env),
        }
    return results


def record(version: str, form: str, bundle_mb: float, archive_mb: float | None, timings: dict[str, object]) -> None:
    bench_file = BENCH_DIR / ("packaged.json" if form == "onedir" else f"packaged-{form}.json")
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    machine = f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    figures = {"version": version, "form": form, "bundle_mib": bundle_mb, "archive_mib": archive_mb,
               "start_s": timings, "machine": machine, "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    bench_file.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"recorded in {bench_file.relative_to(ROOT)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--onefile", action="store_true",
                        help="build one self-extracting file instead (it unpacks on every start: slower to open)")
    args = parser.parse_args(argv)

    ensure_venv()
    version = run(venv_bin("python"), "-c", "import termii_desk; print(termii_desk.__version__)",
                  capture_output=True).stdout.strip()
    make_icons()
    output = run_pyinstaller(args.onefile)
    if args.onefile:
        executable, archive = output, None
        print("note: the one-file build unpacks itself into a temporary folder on every start, so it opens "
              "slower than the one-folder bundle dist/termii-desk/. It keeps ICU's full data (not trimmed).")
    else:
        if sys.platform.startswith("linux"):
            trim_icu_data(output, BUILD / "icu")
        executable, archive = output / EXE_NAME, make_archive(output, version)

    bundle_mb, archive_mb = size_mb(output), size_mb(archive) if archive else None
    print(f"\nTermii Desk {version}: {output.relative_to(ROOT)} {bundle_mb} MB (MiB, as du -sh counts)")
    if archive:
        print(f"archive: {archive.relative_to(ROOT)} {archive_mb} MB")
        print("largest files in the bundle (MB):")
        for mb, name in largest_files(output):
            print(f"  {mb:6.1f}  {name}")

    timings = measure_start(executable)
    print("start times, one run each, QT_QPA_PLATFORM=offscreen (seconds):")
    for label, figures in timings.items():
        print(f"  {label:<10}  --version {figures['version_s']}  --self-test {figures['self_test_s']}")
    record(version, "onefile" if args.onefile else "onedir", bundle_mb, archive_mb, timings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
