"""Reading exported PDFs as a person's tools would: pypdf for the text, pdftoppm for the pixels."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import IN_CI

ARTIFACTS = Path(__file__).resolve().parents[1] / "browser" / "artifacts"


def pages_text(pdf: bytes) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def flat(text: str) -> str:
    """Text with line breaks and repeated spaces folded: PDF extraction breaks lines anywhere."""
    return " ".join(text.split())


@pytest.fixture
def pdftoppm():
    """The pdftoppm command (Debian's poppler-utils): required in CI, else skipped."""
    path = shutil.which("pdftoppm")
    if path is None:
        reason = "pdftoppm not found (apt-get install poppler-utils)"
        if IN_CI:
            pytest.fail(f"PDF rendering checks are required in CI but {reason}")
        pytest.skip(reason)
    return path


def render_page(pdftoppm: str, pdf: bytes, tmp_path: Path, name: str, page: int = 1) -> Path:
    """Page `page` of the PDF as a PNG (kept under tests/browser/artifacts/ for a person too)."""
    source = tmp_path / f"{name}.pdf"
    source.write_bytes(pdf)
    target = tmp_path / name
    subprocess.run(
        [pdftoppm, "-png", "-r", "60", "-f", str(page), "-l", str(page), "-singlefile",
         str(source), str(target)],
        check=True,
    )  # fmt: skip
    png = target.with_suffix(".png")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(png, ARTIFACTS / png.name)
    return png


def inked_share(png: Path) -> float:
    """The share of pixels that are not white: 0 for a blank page."""
    from PIL import Image

    with Image.open(png) as image:
        grey = image.convert("L")
        histogram = grey.histogram()
    total = sum(histogram)
    return (total - sum(histogram[246:])) / total
