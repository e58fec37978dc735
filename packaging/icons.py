"""Renders resources/icon.svg into the PNG sizes, .ico and .icns the bundle and the spec use.

Run by build.py with the build virtualenv's Python, which has PySide6 (QSvgRenderer) and Pillow:
``python packaging/icons.py resources/icon.svg build/icons``. The outputs are build products, never committed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def png_path(out_dir: Path, size: int) -> Path:
    """Laid out as an icon theme, so the folder can be copied to ~/.local/share/icons as it is."""
    return out_dir / "hicolor" / f"{size}x{size}" / "apps" / "termii-desk.png"


def render_pngs(svg: Path, out_dir: Path) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])  # painting on a QImage needs a GUI application
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"icons: {svg} is not an SVG Qt can read")
    for size in PNG_SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        path = png_path(out_dir, size)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(path)):
            raise SystemExit(f"icons: could not write {path}")


def write_ico_icns(out_dir: Path) -> None:
    from PIL import Image

    # Pillow picks the best-matching rendered PNG for each size when given them as appended images.
    largest = Image.open(png_path(out_dir, 512))
    rendered = [Image.open(png_path(out_dir, size)) for size in PNG_SIZES]
    largest.save(out_dir / "termii-desk.ico", sizes=[(s, s) for s in ICO_SIZES], append_images=rendered)
    largest.save(out_dir / "termii-desk.icns", append_images=rendered)  # ICNS holds its standard sizes


def main(argv: list[str]) -> int:
    svg, out_dir = Path(argv[0]), Path(argv[1])
    out_dir.mkdir(parents=True, exist_ok=True)
    render_pngs(svg, out_dir)
    write_ico_icns(out_dir)
    print(f"icons: {len(PNG_SIZES)} PNG sizes in {out_dir / 'hicolor'}, .ico and .icns in {out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
