"""PySide6.QtGui with only the Qt plugins a QtWidgets window needs (replaces PyInstaller's own hook of this name).

PyInstaller's hook collects every plugin folder QtGui has. Leaving plugins out here, before the analysis
follows their shared-library dependencies, keeps those out too: the gtk3 platform theme alone would bring the
build machine's GTK, cairo and pango into the bundle.
"""

from pathlib import PurePath

from PyInstaller.utils.hooks.qt import add_qt6_dependencies

# Plugin folder -> plugins kept in it (file name without "lib" and extension); None keeps the whole folder.
# Folders not listed are left out: egldeviceintegrations and generic serve embedded devices, and
# wayland-graphics-integration-client is OpenGL on Wayland (it needs QtOpenGL; widgets draw without it).
KEPT_PLUGINS = {
    "platforms": {"qxcb", "qwayland", "qoffscreen", "qwindows", "qcocoa"},
    "platforms/darwin": None,
    "platformthemes": {"qxdgdesktopportal"},  # not qgtk3 (GTK)
    "platforminputcontexts": None,  # compose and ibus: dead keys and input methods
    "imageformats": {"qsvg", "qico"},  # PNG is built into QtGui
    "iconengines": {"qsvgicon"},  # the window icon is an SVG
    "xcbglintegrations": None,
    "wayland-decoration-client": None,
    "wayland-shell-integration": {"xdg-shell"},  # what desktop compositors speak
}


def _kept(src: str, dest: str) -> bool:
    parts = PurePath(dest).parts
    if "plugins" not in parts:
        return True
    folder = "/".join(parts[parts.index("plugins") + 1:])
    if folder not in KEPT_PLUGINS:
        return False
    names = KEPT_PLUGINS[folder]
    return names is None or PurePath(src).stem.removeprefix("lib") in names


hiddenimports, binaries, datas = add_qt6_dependencies(__file__)
binaries = [(src, dest) for src, dest in binaries if _kept(src, dest)]
