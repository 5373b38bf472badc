"""A PDF/A-2b structure check of our own (veraPDF, a Java tool, is on no registry here).

``pdfa_problems`` walks a PDF with pyHanko's reader and lists what breaks the parts of
ISO 19005-2 (level B) that our PDFs touch: header, trailer ID, no encryption, PDF 1.7 at
most, the XMP packet (pdfaid part 2 / conformance B, unfiltered) agreeing with the Info
dictionary, an sRGB output intent, every font embedded (symbolic TrueType without
/Encoding), no transparency (soft masks, groups, alpha), device colour only matching the
RGB intent, printable annotations with appearances unless zero-sized, no JavaScript.
It is not a full validator: it checks no font program's internals and no content stream.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
}
_PDF_DATE = re.compile(r"D:(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(Z|[+-]\d{2}'?\d{2}'?)?")


def _get(d: Any, key: str, default: Any = None) -> Any:
    """``d[key]`` dereferenced (pyHanko's dict ``get`` does not dereference), or default."""
    return d[key] if key in d else default  # noqa: SIM401 - get() would not dereference


def _pdf_date(s: str) -> datetime:
    m = _PDF_DATE.match(s)
    assert m, s
    y, mo, d, h, mi, sec = (int(g) for g in m.groups()[:6])
    tz = m.group(7) or "Z"
    if tz == "Z":
        zone = UTC
    else:
        sign = -1 if tz[0] == "-" else 1
        hh, mm = int(tz[1:3]), int(tz.replace("'", "")[3:5])
        zone = timezone(sign * timedelta(hours=hh, minutes=mm))
    return datetime(y, mo, d, h, mi, sec, tzinfo=zone)


def xmp_fields(xml: bytes) -> dict[str, str]:
    """prefix:name -> text of the XMP properties we use (attribute or element form)."""
    root = ET.fromstring(xml.decode("utf-8").split("?>", 1)[1].rsplit("<?xpacket", 1)[0])
    out: dict[str, str] = {}
    names = {uri: prefix for prefix, uri in NS.items()}
    for desc in root.iter(f"{{{NS['rdf']}}}Description"):
        for key, value in desc.attrib.items():
            uri, _, local = key[1:].partition("}")
            if uri in names and names[uri] != "rdf":
                out[f"{names[uri]}:{local}"] = value
        for child in desc:
            uri, _, local = child.tag[1:].partition("}")
            if uri in names:
                items = [li.text or "" for li in child.iter(f"{{{NS['rdf']}}}li")]
                out[f"{names[uri]}:{local}"] = items[0] if items else (child.text or "")
    return out


def _walk_resources(res: Any, seen: set[int], fonts: list[Any], images: list[Any],
                    gstates: list[Any]) -> None:  # fmt: skip
    if res is None or id(res) in seen:
        return
    seen.add(id(res))
    for name in _get(res, "/Font", {}) or {}:
        fonts.append(res["/Font"][name])
    for name in _get(res, "/ExtGState", {}) or {}:
        gstates.append(res["/ExtGState"][name])
    xobjects = _get(res, "/XObject", {}) or {}
    for name in xobjects:
        xo = xobjects[name]
        if _get(xo, "/Subtype") == "/Image":
            images.append(xo)
        else:
            _walk_resources(_get(xo, "/Resources"), seen, fonts, images, gstates)


def _font_problems(font: Any) -> list[str]:
    name = str(_get(font, "/BaseFont", "?"))
    subtype = _get(font, "/Subtype")
    if subtype == "/Type3":
        return []
    desc_font = font["/DescendantFonts"][0] if subtype == "/Type0" else font
    fd = _get(desc_font, "/FontDescriptor")
    if fd is None or not any(k in fd for k in ("/FontFile", "/FontFile2", "/FontFile3")):
        return [f"font {name} is not embedded"]
    problems = []
    if subtype == "/TrueType" and int(_get(fd, "/Flags", 0)) & 4 and "/Encoding" in font:
        problems.append(f"symbolic TrueType font {name} has an /Encoding")
    return problems


def pdfa_problems(pdf: bytes) -> list[str]:
    """What keeps ``pdf`` from PDF/A-2b, as far as this check sees (empty: nothing)."""
    problems: list[str] = []
    if not re.match(rb"%PDF-1\.[0-7]\r?\n%[\x80-\xff]{4}", pdf):
        problems.append("header is not %PDF-1.n followed by a binary comment")
    reader = PdfFileReader(io.BytesIO(pdf))
    trailer, root = reader.trailer, reader.root
    if "/ID" not in trailer:
        problems.append("trailer has no /ID")
    if "/Encrypt" in trailer:
        problems.append("document is encrypted")
    version = str(_get(root, "/Version", "/1.4"))
    if not re.fullmatch(r"/1\.[0-7]", version):
        problems.append(f"catalog /Version {version} is beyond PDF 1.7")
    if "/JavaScript" in (_get(root, "/Names") or {}) or "/AA" in root:
        problems.append("document carries JavaScript or additional actions")
    problems += _metadata_problems(root, trailer)
    problems += _intent_problems(root)
    fonts: list[Any] = []
    images: list[Any] = []
    gstates: list[Any] = []
    seen: set[int] = set()
    kids = root["/Pages"]["/Kids"]
    for i in range(len(kids)):
        page = kids[i]
        if "/Group" in page and _get(page["/Group"], "/S") == "/Transparency":
            problems.append(f"page {i + 1} has a transparency group")
        _walk_resources(_get(page, "/Resources"), seen, fonts, images, gstates)
        annots = _get(page, "/Annots") or []
        for j in range(len(annots)):
            problems += _annotation_problems(annots[j], i + 1)
            ap = _get(annots[j], "/AP")
            if ap is not None and isinstance(_get(ap, "/N"), generic.StreamObject):
                _walk_resources(_get(ap["/N"], "/Resources"), seen, fonts, images, gstates)
    for font in fonts:
        problems += _font_problems(font)
    for im in images:
        if "/SMask" in im or "/Mask" in im:
            problems.append("an image has a soft mask or mask (transparency)")
        if _get(im, "/ColorSpace") == "/DeviceCMYK":
            problems.append("an image is DeviceCMYK under an RGB output intent")
    for gs in gstates:
        if "/SMask" in gs and gs["/SMask"] != "/None":
            problems.append("a graphics state sets a soft mask")
        for key in ("/CA", "/ca"):
            if key in gs and float(gs[key]) != 1.0:
                problems.append(f"a graphics state sets {key} {gs[key]} (transparency)")
    return list(dict.fromkeys(problems))  # each problem once (fonts repeat per page)


def _annotation_problems(annot: Any, page: int) -> list[str]:
    flags = int(_get(annot, "/F", 0))
    problems = []
    if not flags & 4 or flags & (1 | 2 | 32):
        problems.append(f"annotation on page {page} is not printable (/F {flags})")
    rect = [float(x) for x in _get(annot, "/Rect", [0, 0, 0, 0])]
    zero = rect[0] == rect[2] or rect[1] == rect[3]
    if not zero and "/AP" not in annot:
        problems.append(f"annotation on page {page} has no appearance")
    return problems


def _metadata_problems(root: Any, trailer: Any) -> list[str]:
    if "/Metadata" not in root:
        return ["catalog has no XMP /Metadata"]
    stream = root["/Metadata"]
    problems = []
    if "/Filter" in stream:
        problems.append("XMP metadata stream is filtered")
    xmp = xmp_fields(stream.data)
    if (xmp.get("pdfaid:part"), xmp.get("pdfaid:conformance")) != ("2", "B"):
        problems.append(f"XMP does not claim PDF/A-2B: {xmp.get('pdfaid:part')}"
                        f"/{xmp.get('pdfaid:conformance')}")  # fmt: skip
    info = _get(trailer, "/Info")
    if info is None:
        return problems
    pairs = {"/Title": "dc:title", "/Author": "dc:creator", "/Subject": "dc:description",
             "/Keywords": "pdf:Keywords", "/Producer": "pdf:Producer",
             "/Creator": "xmp:CreatorTool"}  # fmt: skip
    for key, prop in pairs.items():
        if key in info and str(info[key]) != xmp.get(prop):
            problems.append(f"Info {key} {str(info[key])!r} differs from XMP {prop} "
                            f"{xmp.get(prop)!r}")  # fmt: skip
    for key, prop in {"/CreationDate": "xmp:CreateDate", "/ModDate": "xmp:ModifyDate"}.items():
        if key not in info:
            continue
        if prop not in xmp or _pdf_date(str(info[key])) != datetime.fromisoformat(xmp[prop]):
            problems.append(f"Info {key} {info[key]} differs from XMP {prop} {xmp.get(prop)}")
    if "/Trapped" in info and str(info["/Trapped"]) != "/" + xmp.get("pdf:Trapped", ""):
        problems.append("Info /Trapped has no equal XMP pdf:Trapped")
    return problems


def _intent_problems(root: Any) -> list[str]:
    intents = _get(root, "/OutputIntents") or []
    found = [intents[i] for i in range(len(intents)) if _get(intents[i], "/S") == "/GTS_PDFA1"]
    if not found:
        return ["catalog has no GTS_PDFA1 output intent"]
    profile = _get(found[0], "/DestOutputProfile")
    if profile is None or int(_get(profile, "/N", 0)) != 3 or profile.data[36:40] != b"acsp":
        return ["the output intent carries no 3-component ICC profile"]
    if profile.data[16:20] != b"RGB ":
        return ["the output intent's profile is not an RGB profile"]
    return []


__all__ = ["pdfa_problems", "xmp_fields"]
