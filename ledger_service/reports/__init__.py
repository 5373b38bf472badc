"""Witness reports (链见证报告): what a report states (``model``), its PDF (``layout``,
``pdf_style``), its PAdES signature (``pades``) by the platform's CA (``ca``), built
from the stores (``build``) and issued into the log (``issue``)."""
