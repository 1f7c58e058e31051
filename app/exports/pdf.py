"""HTML to PDF with WeasyPrint, reading nothing but the document itself.

The fetcher allows `data:` URLs only: no file, network or loopback read can be triggered by a
template or by text a member typed. Fonts are named explicitly (DejaVu Sans, Debian's
fonts-dejavu-core) so every document renders with the same glyphs, Greek, Cyrillic and symbols
such as ≥ and µ included.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

STYLESHEET = Path(__file__).resolve().parents[1] / "static" / "print.css"
# PDF/A-3b: the archival variant (ISO 19005-3, level b), fonts embedded, no external content.
ARCHIVAL_VARIANT = "pdf/a-3b"


class DataOnlyFetcher(URLFetcher):
    """Fetches `data:` URLs and refuses every other URL (kept in `refused`, for tests)."""

    def __init__(self):
        super().__init__(allowed_protocols={"data"}, allow_redirects=False, timeout=1)
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        if not str(url).lower().startswith("data:"):
            self.refused.append(str(url))
            raise ValueError("only data: URLs are read when rendering a document")
        return super().fetch(url, headers)


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    pages: int
    variant: str | None

    @property
    def sha256(self) -> str:
        return sha256(self.pdf).hexdigest()


def render_document(html: str, *, fetcher: DataOnlyFetcher | None = None):
    """The laid-out document (WeasyPrint's pages and boxes) of `html` with the print stylesheet."""
    fetcher = fetcher or DataOnlyFetcher()
    fonts = FontConfiguration()
    stylesheet = CSS(string=STYLESHEET.read_text(), font_config=fonts, url_fetcher=fetcher)
    return HTML(string=html, url_fetcher=fetcher).render(
        stylesheets=[stylesheet], font_config=fonts
    )


def render_pdf(
    html: str, *, archival: bool = False, fetcher: DataOnlyFetcher | None = None
) -> Rendered:
    """The PDF of `html` with the print stylesheet; PDF/A-3b when `archival`."""
    document = render_document(html, fetcher=fetcher)
    if not archival:
        return Rendered(pdf=document.write_pdf(), pages=len(document.pages), variant=None)
    with warnings.catch_warnings():
        # WeasyPrint opens the sRGB profile it embeds for PDF/A and leaves the file to the
        # garbage collector; the warning says nothing about this document.
        warnings.simplefilter("ignore", ResourceWarning)
        pdf = document.write_pdf(pdf_variant=ARCHIVAL_VARIANT)
    return Rendered(pdf=pdf, pages=len(document.pages), variant=ARCHIVAL_VARIANT)
