"""The compiled Word document as a PDF, through LibreOffice run headless.

LibreOffice is not a dependency of the bot: only ``python -m bot compile --format pdf``
needs it, and says so in one line when it is not installed. Each conversion runs with its
own temporary LibreOffice profile, so two compiles at once do not wait on each other's lock.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

PROGRAMS = ("soffice", "libreoffice")
"""The names LibreOffice is installed under, looked for on PATH in this order."""

CONVERT_TIMEOUT = 120.0
"""Seconds a conversion may take before it is stopped (a few seconds is usual)."""

NOT_INSTALLED = (
    "PDF needs LibreOffice, which is not installed: install it with "
    '"sudo apt-get install libreoffice-writer-nogui" (Debian/Ubuntu), or compile to .docx'
)


class PdfFailed(Exception):
    """LibreOffice is missing or could not convert: one line saying which."""


def find_libreoffice() -> str:
    """The LibreOffice program on PATH; ``PdfFailed`` saying how to install it if none."""
    for name in PROGRAMS:
        found = shutil.which(name)
        if found is not None:
            return found
    raise PdfFailed(NOT_INSTALLED)


def conversion_command(program: str, docx: Path, profile: Path, outdir: Path) -> list[str]:
    """``soffice --headless --convert-to pdf --outdir DIR FILE.docx`` with a private profile."""
    return [
        program,
        "--headless",
        f"-env:UserInstallation={profile.as_uri()}",
        "--convert-to",
        "pdf",
        "--outdir",
        str(outdir),
        str(docx),
    ]


def convert_to_pdf(docx: Path, program: str, timeout: float = CONVERT_TIMEOUT) -> bytes:
    """The PDF of ``docx``, converted by ``program`` (LibreOffice) in a temporary folder."""
    docx = docx.resolve()
    with tempfile.TemporaryDirectory(prefix="scrutiny-pdf-") as work:
        outdir = Path(work, "out")
        command = conversion_command(program, docx, Path(work, "profile"), outdir)
        code, errors = _run(command, timeout, docx.name)
        said = _last_line(errors)
        if code != 0:
            raise PdfFailed(
                f"LibreOffice could not convert {docx.name} to PDF ({Path(program).name} "
                f"exited with code {code}{f': {said}' if said else ''})"
            )
        pdf = outdir / f"{docx.stem}.pdf"
        if not pdf.is_file():
            raise PdfFailed(
                f"LibreOffice wrote no PDF for {docx.name}{f' ({said})' if said else ''}"
            )
        return pdf.read_bytes()


def _run(command: list[str], timeout: float, name: str) -> tuple[int, str]:
    """Run LibreOffice in its own process group, so a timeout stops all of it."""
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as error:
        raise PdfFailed(f"Could not run {command[0]}: {error.strerror or error}") from None
    try:
        _, errors = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise PdfFailed(
            f"LibreOffice did not convert {name} to PDF within {timeout:g} seconds: "
            "try again, or compile to .docx"
        ) from None
    return process.returncode, errors.decode("utf-8", "replace")


def _last_line(text: str) -> str | None:
    """The last thing LibreOffice said, shortened; None when it said nothing."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:200] if lines else None
