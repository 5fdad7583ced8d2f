"""Renders the app icon (resources/ui/icons/app.svg) into app.ico, app.icns and app.png for the installers.

Qt draws the SVG, and the ICO and ICNS containers are written here with PNG entries, so no platform
tool (iconutil, ImageMagick, Pillow) is needed and all three builds get the same pixels.

    python packaging/make_icons.py OUT_DIR
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "resources" / "ui" / "icons" / "app.svg"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
#: ICNS element types that hold PNG data, by pixel size
ICNS_TYPES = {16: b"icp4", 32: b"icp5", 64: b"icp6", 128: b"ic07", 256: b"ic08", 512: b"ic09", 1024: b"ic10"}


def render_png(svg: Path, sizes: list[int]) -> dict[int, bytes]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"make_icons: {svg} is not a valid SVG")
    out: dict[int, bytes] = {}
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stubs want bytes, Qt wants str
        buffer.close()
        out[size] = bytes(data.data())
    del app
    return out


def ico(pngs: dict[int, bytes]) -> bytes:
    """An ICO file whose entries are PNG images (Windows Vista and later read them)."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries = b""
    blobs = b""
    for size in sizes:
        data = pngs[size]
        dim = 0 if size >= 256 else size  # 0 means 256 in the directory entry
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset + len(blobs))
        blobs += data
    return header + entries + blobs


def icns(pngs: dict[int, bytes]) -> bytes:
    body = b"".join(
        ICNS_TYPES[size] + struct.pack(">I", len(pngs[size]) + 8) + pngs[size] for size in sorted(pngs)
    )
    return b"icns" + struct.pack(">I", len(body) + 8) + body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for app.ico, app.icns, app.png")
    args = parser.parse_args(argv)
    pngs = render_png(SVG, sorted(set(ICO_SIZES) | set(ICNS_TYPES)))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "app.ico").write_bytes(ico({s: pngs[s] for s in ICO_SIZES}))
    (args.out / "app.icns").write_bytes(icns({s: pngs[s] for s in ICNS_TYPES}))
    (args.out / "app.png").write_bytes(pngs[256])
    sys.stdout.write(f"icons written to {args.out}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
