"""PDF/A-2b for the platform's PDFs: XMP metadata, an sRGB output intent, fixed dates.

reportlab writes neither XMP nor an output intent by itself; :func:`pdfa_canvas`
makes a canvas class that adds both to the document it writes:

* a ``/Metadata`` stream (uncompressed XMP) with ``pdfaid:part`` 2 and
  ``pdfaid:conformance`` B, and the title, author, subject, producer, creator
  tool and dates of the Info dictionary with the same values;
* an ``/OutputIntents`` entry (``GTS_PDFA1``) carrying the sRGB ICC profile
  shipped in ``icc/sRGB.icc`` (ICC v2.3 from Debian's ``icc-profiles-free``,
  zlib licence, see ``icc/COPYRIGHT.icc-profiles-free.txt``);
* creation and modification dates fixed to the document's own time (the report's
  issue time), so that a PDF stays deterministic for given content.

Fonts must be embedded by the caller (``pdf_style.register_fonts`` does it); the
canvas starts in the embedded Latin font, never in an unembedded standard font.
"""

from __future__ import annotations

from datetime import UTC, datetime
from importlib.resources import files
from typing import Any
from xml.sax.saxutils import escape as _xml

#: The output intent's condition (the profile describes the sRGB space of IEC 61966-2.1).
OUTPUT_CONDITION = "sRGB IEC61966-2.1"
#: The tool named in the Info dictionary (``/Creator``) and the XMP ``xmp:CreatorTool``.
CREATOR = "Chain Witness (链见证)"


def srgb_profile() -> bytes:
    """The shipped sRGB ICC profile (ICC v2.3, 3 components)."""
    return files("ledger_service.reports").joinpath("icc/sRGB.icc").read_bytes()


class _Stamp:
    """A reportlab ``TimeStamp`` stand-in fixed at ``when`` (UTC)."""

    def __init__(self, when: datetime) -> None:
        when = when.astimezone(UTC)
        self.t = when.timestamp()
        self.lt = when.timetuple()
        self.YMDhms = tuple(self.lt)[:6]  # noqa: N815 - reportlab's name
        self.dhh = self.dmm = 0
        self.tzname = "UTC"
        self.datetime = when


def _xmp(info: Any, when: datetime) -> str:
    """The XMP packet of an Info dictionary (reportlab ``PDFInfo``) dated ``when``."""
    stamp = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">\n'
        "<pdfaid:part>2</pdfaid:part>\n<pdfaid:conformance>B</pdfaid:conformance>\n"
        "</rdf:Description>\n"
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
        "<dc:format>application/pdf</dc:format>\n"
        f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{_xml(info.title)}</rdf:li>'
        "</rdf:Alt></dc:title>\n"
        f"<dc:creator><rdf:Seq><rdf:li>{_xml(info.author)}</rdf:li></rdf:Seq></dc:creator>\n"
        f'<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{_xml(info.subject)}'
        "</rdf:li></rdf:Alt></dc:description>\n"
        "</rdf:Description>\n"
        '<rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">\n'
        f"<pdf:Producer>{_xml(info.producer)}</pdf:Producer>\n"
        f"<pdf:Keywords>{_xml(info.keywords)}</pdf:Keywords>\n"
        "</rdf:Description>\n"
        '<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">\n'
        f"<xmp:CreatorTool>{_xml(info.creator)}</xmp:CreatorTool>\n"
        f"<xmp:CreateDate>{stamp}</xmp:CreateDate>\n"
        f"<xmp:ModifyDate>{stamp}</xmp:ModifyDate>\n"
        "</rdf:Description>\n"
        "</rdf:RDF>\n</x:xmpmeta>\n"
        + " " * 2000  # padding, so an editor can update the packet in place
        + '\n<?xpacket end="w"?>'
    )


def _make_pdfa(doc: Any, when: datetime) -> None:
    """Add XMP metadata and the sRGB output intent to reportlab document ``doc``."""
    from reportlab.pdfbase import pdfdoc

    class Info(pdfdoc.PDFInfo):  # type: ignore[misc]  # reportlab is untyped
        """Info without ``/Trapped`` (an XMP-less key; the XMP carries the rest)."""

        def format(self, document: Any) -> bytes:
            d = {
                "Title": pdfdoc.PDFString(self.title),
                "Author": pdfdoc.PDFString(self.author),
                "Subject": pdfdoc.PDFString(self.subject),
                "Keywords": pdfdoc.PDFString(self.keywords),
                "Creator": pdfdoc.PDFString(self.creator),
                "Producer": pdfdoc.PDFString(self.producer),
                "CreationDate": pdfdoc.PDFDate(ts=document._timeStamp),
                "ModDate": pdfdoc.PDFDate(ts=document._timeStamp),
            }
            return bytes(pdfdoc.PDFDictionary(d).format(document))

    info = Info()
    info.invariant = doc.invariant
    info.creator = CREATOR
    doc.info = info
    doc._timeStamp = _Stamp(when)
    catalog = doc.Catalog
    catalog.Metadata = pdfdoc.XMP(creator=lambda d: _xmp(d.info, when).encode())
    profile = pdfdoc.PDFStream(
        dictionary=pdfdoc.PDFDictionary({"N": 3}), content=srgb_profile(),
        filters=[pdfdoc.PDFZCompress],
    )  # fmt: skip
    intent = pdfdoc.PDFDictionary({
        "Type": pdfdoc.PDFName("OutputIntent"), "S": pdfdoc.PDFName("GTS_PDFA1"),
        "OutputConditionIdentifier": pdfdoc.PDFString(OUTPUT_CONDITION),
        "Info": pdfdoc.PDFString(OUTPUT_CONDITION),
        "RegistryName": pdfdoc.PDFString("http://www.color.org"),
        "DestOutputProfile": doc.Reference(profile, "ChainWitnessSRGB"),
    })  # fmt: skip
    catalog.OutputIntents = pdfdoc.PDFArray([intent])
    # the catalog writes only the keys it lists: list ours on this instance
    catalog.__NoDefault__ = [*type(catalog).__NoDefault__, "OutputIntents"]


def pdfa_canvas(when: datetime, initial_font: str, base: Any = None) -> Any:
    """A reportlab canvas class (subclass of ``base``, default ``Canvas``) writing
    PDF/A-2b documents dated ``when``, starting in the registered, embedded font
    ``initial_font``; pass it to ``doc.build(canvasmaker=...)``."""
    from reportlab.pdfgen import canvas

    parent = base or canvas.Canvas

    class PdfACanvas(parent):  # type: ignore[misc,valid-type]  # reportlab is untyped
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["initialFontName"] = initial_font
            super().__init__(*args, **kwargs)
            _make_pdfa(self._doc, when)

    return PdfACanvas


__all__ = ["CREATOR", "OUTPUT_CONDITION", "pdfa_canvas", "srgb_profile"]
