"""Trims ICU's data library in the Linux bundle to the root and English locales. Used by build.py.

Why: QtCore links ICU, and PySide6 ships ICU's full data (every locale, every legacy codepage) as one 31 MiB
library, libicudata.so.NN: a quarter of the bundle. Qt calls ICU only for QCollator, QLocale::toUpper/toLower,
time-zone names and non-UTF text codecs, none of which the desk uses (its self-test never enters ICU).
The replacement keeps, for root and English: collation, break rules, time-zone names, the converter alias
table, normalization and the supplemental tables, so those Qt calls still work in English. It drops the other
locales, the codepage tables (UTF-8/16/32, Latin-1 and ASCII are built into ICU's code), the Thai/Lao/Khmer/
Burmese/CJK word dictionaries, transliteration, character names, stringprep and spoof data.

How: read the data blob (ELF symbol icudtNN_dat) out of the bundled library, remove items with `icupkg`, turn
the result back into assembly with `genccode`, link it with gcc into a library with the same soname, check
that ICU loads it, and only then put it in place. Debian's icu-devtools may be older than the wheel's ICU;
the common data format they read and write is the same, and the load check proves it. If a tool is missing
or a step fails, the bundle keeps the library PySide6 ships.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

TOOLS = ("nm", "readelf", "icupkg", "genccode", "gcc")  # Debian: binutils, icu-devtools, gcc
# Item names as `icupkg -l` prints them, e.g. "en_GB.res", "coll/ucadata.icu", "brkitr/thaidict.dict".
ENGLISH = re.compile(r"(\w+/)?(root|en|en_\w+|pool|res_index)\.res")  # each tree's root, English, shared pool, index
OTHER_LOCALE = re.compile(r"(\w+/)?[a-z]{2,3}(_\w*)?\.res")  # fr.res, coll/de_.res, zone/zh_Hant.res
DROPPED = re.compile(r".*\.(cnv|spp|cfu)|unames\.icu|translit/.*")  # codepages, stringprep, spoof, names
DICTIONARIES = "brkitr/*.dict"  # removed last: the root break rules name them, so icupkg must be told to allow it
# Loads the bundle's ICU with the new data in a separate Python: ICU's init (converter aliases) and an
# English collator (collation tree, UCA data) must work.
PROBE = """
import ctypes, sys
folder, version = sys.argv[1:]
uc, i18n = ctypes.CDLL(f"{folder}/libicuuc.so.{version}"), ctypes.CDLL(f"{folder}/libicui18n.so.{version}")
status = ctypes.c_int(0)
getattr(uc, f"u_init_{version}")(ctypes.byref(status))
ucol_open = getattr(i18n, f"ucol_open_{version}")
ucol_open.restype = ctypes.c_void_p
collator = ucol_open(b"en_GB", ctypes.byref(status))
sys.exit(0 if collator and status.value <= 0 else f"ICU status {status.value}")
"""


def keep(item: str) -> bool:
    if DROPPED.fullmatch(item):
        return False
    return bool(ENGLISH.fullmatch(item)) or not OTHER_LOCALE.fullmatch(item)


def tool(*args: str | Path) -> str:
    return subprocess.run([str(a) for a in args], check=True, capture_output=True, text=True).stdout


def data_blob(library: Path) -> tuple[str, bytes]:
    """The data symbol's name (icudtNN_dat) and bytes, found with nm and the ELF64 program headers."""
    symbol, = (line.split() for line in tool("nm", "-D", "-S", "--defined-only", library).splitlines()
               if line.endswith("_dat"))
    address, size, name = int(symbol[0], 16), int(symbol[1], 16), symbol[3]
    elf = library.read_bytes()
    phoff, = struct.unpack_from("<Q", elf, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    for index in range(phnum):
        kind, _, offset, vaddr, _, filesz = struct.unpack_from("<IIQQQQ", elf, phoff + index * phentsize)
        if kind == 1 and vaddr <= address < vaddr + filesz:  # PT_LOAD
            blob = elf[address - vaddr + offset:address - vaddr + offset + size]
            if blob[2:4] == b"\xda\x27" and blob[12:16] == b"CmnD":  # ICU data header, common data package
                return name, blob
    raise ValueError(f"no ICU common data package at {name}")


def trim_icu_data(bundle: Path, work: Path) -> None:
    """Replaces the bundle's libicudata.so.NN with a root-and-English build of the same ICU data."""
    library = next((p for p in bundle.rglob("libicudata.so.*") if not p.is_symlink()), None)
    if library is None:
        return
    missing = [name for name in TOOLS if shutil.which(name) is None]
    if missing:
        print(f"ICU data not trimmed: {', '.join(missing)} not found (apt install icu-devtools gcc binutils); "
              f"{library.name} stays at {library.stat().st_size / 2**20:.1f} MB")
        return
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        symbol, blob = data_blob(library)
        entry = symbol.removesuffix("_dat")  # icudt73
        package = work / f"{entry}l.dat"  # the package name ICU expects: l for little-endian
        package.write_bytes(blob)
        removed = [item for item in tool("icupkg", "-l", package).split() if not keep(item)]
        (work / "remove.txt").write_text("\n".join(removed) + "\n")
        tool("icupkg", "-r", work / "remove.txt", package)  # fails if a kept item needs a removed one
        tool("icupkg", "--ignore-deps", "-r", DICTIONARIES, package)
        tool("genccode", "-a", "gcc", "-e", entry, "-d", work, package)
        soname, = re.findall(r"Library soname: \[(.+)\]", tool("readelf", "-d", library))
        trimmed = work / library.name
        tool("gcc", "-shared", "-nostdlib", "-s", f"-Wl,-soname,{soname}", "-Wl,-z,noexecstack",
             "-o", trimmed, work / f"{entry}l_dat.S")
        for other in ("libicuuc", "libicui18n"):
            shutil.copy2(library.with_name(library.name.replace("libicudata", other)), work)
        tool(sys.executable, "-c", PROBE, work, entry.removeprefix("icudt"))
    except (subprocess.CalledProcessError, ValueError, struct.error, OSError) as error:
        detail = getattr(error, "stderr", None) or str(error)
        print(f"ICU data not trimmed, {library.name} kept as shipped: {detail.strip().splitlines()[-1]}")
        return
    before = library.stat().st_size
    shutil.copyfile(trimmed, library)
    print(f"ICU data trimmed to root and English: {library.name} {before / 2**20:.1f} MB -> "
          f"{library.stat().st_size / 2**20:.1f} MB")
