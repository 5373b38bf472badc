"""Reading our PDFs the way a machine without CJK fonts does: poppler-utils.

Debian's ``poppler-utils`` without ``poppler-data`` (no Adobe CMaps, no CJK font pack)
is the reader that shows every Chinese character of a non-embedded CID font as
nothing or a box. ``.ci/run`` installs it that way; without it these tests skip
with one line.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from dataclasses import dataclass

import pytest

TOOLS = ("pdffonts", "pdftotext", "pdftoppm")


def require_poppler() -> None:
    """Skip the calling test with one clear line when poppler-utils is absent."""
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        pytest.skip(f"poppler-utils not installed ({', '.join(missing)} missing): "
                    "apt-get install --no-install-recommends poppler-utils")  # fmt: skip


def _run(args: list[str], pdf: bytes) -> tuple[bytes, str]:
    out = subprocess.run(args, input=pdf, capture_output=True, check=True, timeout=60)
    return out.stdout, out.stderr.decode(errors="replace")


@dataclass(frozen=True)
class FontRow:
    name: str
    type: str
    embedded: bool
    subset: bool
    unicode: bool


def fonts(pdf: bytes) -> list[FontRow]:
    """``pdffonts``' table: one row per font object."""
    out, _ = _run(["pdffonts", "-"], pdf)
    rows = []
    for line in out.decode().splitlines()[2:]:
        m = re.match(r"(\S+)\s+(.+?)\s{2,}\S+\s+(yes|no)\s+(yes|no)\s+(yes|no)\s", line)
        assert m, line
        rows.append(FontRow(m.group(1), m.group(2), m.group(3) == "yes", m.group(4) == "yes",
                            m.group(5) == "yes"))  # fmt: skip
    return rows


def text(pdf: bytes, page: int | None = None,
         crop: tuple[float, float, float, float] | None = None) -> tuple[str, str]:  # fmt: skip
    """(``pdftotext`` output, its stderr) of the whole PDF, of one page, or of an area
    (x, y, width, height in points from the top left) of that page."""
    args = [] if page is None else ["-f", str(page), "-l", str(page)]
    for flag, value in zip(("-x", "-y", "-W", "-H"), crop or (), strict=False):
        args += [flag, str(int(value))]
    out, err = _run(["pdftotext", *args, "-", "-"], pdf)
    return out.decode(), err


def word_box(pdf: bytes, page: int, word: str) -> tuple[float, float, float, float]:
    """(xMin, yMin, xMax, yMax) in points of the largest ``word`` on ``page`` (a title
    rather than a running header), from ``pdftotext -bbox``."""
    out, _ = _run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), "-", "-"], pdf)
    boxes = [
        (float(m.group(1)), float(m.group(2)), float(m.group(3)), float(m.group(4)))
        for m in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" '
                             r'yMax="([\d.]+)">(.*?)</word>', out.decode())
        if html.unescape(m.group(5)) == word
    ]  # fmt: skip
    if not boxes:
        raise AssertionError(f"expected the word {word!r} on page {page}, found none")
    return max(boxes, key=lambda b: (b[2] - b[0]) * (b[3] - b[1]))


def render_gray(pdf: bytes, page: int, box: tuple[float, float, float, float],
                dpi: int = 144) -> tuple[int, int, bytes, str]:  # fmt: skip
    """(width, height, 8-bit gray pixels, stderr) of ``box`` (points) on ``page``."""
    k = dpi / 72
    x, y = int(box[0] * k), int(box[1] * k)
    w, h = int((box[2] - box[0]) * k), int((box[3] - box[1]) * k)
    out, err = _run(["pdftoppm", "-gray", "-r", str(dpi), "-f", str(page), "-l", str(page),
                     "-x", str(x), "-y", str(y), "-W", str(w), "-H", str(h), "-singlefile",
                     "-"], pdf)  # fmt: skip
    m = re.match(rb"P5\s+(\d+)\s+(\d+)\s+255\s", out)
    assert m, out[:20]
    width, height = int(m.group(1)), int(m.group(2))
    return width, height, out[m.end() : m.end() + width * height], err


def glyph_cells(pdf: bytes, page: int, word: str) -> list[bytes]:
    """The rendered pixels of each character of a CJK ``word`` (full-width cells)."""
    box = word_box(pdf, page, word)
    width, height, pixels, err = render_gray(pdf, page, box)
    assert "Error" not in err, err
    step = width / len(word)
    cells = []
    for i in range(len(word)):
        left, right = int(i * step), int((i + 1) * step)
        cells.append(b"".join(pixels[r * width + left : r * width + right] for r in range(height)))
    return cells


def ink(cell: bytes) -> float:
    """The fraction of dark pixels (below mid-grey) in a rendered cell."""
    return sum(1 for p in cell if p < 128) / max(len(cell), 1)


__all__ = ["FontRow", "fonts", "glyph_cells", "ink", "render_gray", "require_poppler", "text",
           "word_box"]  # fmt: skip
