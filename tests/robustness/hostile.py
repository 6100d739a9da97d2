"""Hostile mail too big to keep in the repository, built when a test needs it."""

from __future__ import annotations

import base64
import io
import zipfile

HEAD = ("From: Mira Kowalski <mira.k@example.com>\r\nTo: info@harbourline.example\r\n"
        "Date: Wed, 25 Nov 2026 10:00:00 +0000\r\n")
REQUEST = "Please delete all my personal data from your systems.\r\n"


def _with_attachment(subject: str, filename: str, ctype: str, payload: bytes) -> bytes:
    encoded = base64.encodebytes(payload).replace(b"\n", b"\r\n")
    return (f"{HEAD}Subject: {subject}\r\nMessage-ID: <{filename}@example.com>\r\n"
            f"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"att\"\r\n\r\n"
            f"--att\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{REQUEST}--att\r\n"
            f"Content-Type: {ctype}; name=\"{filename}\"\r\n"
            f"Content-Disposition: attachment; filename=\"{filename}\"\r\n"
            f"Content-Transfer-Encoding: base64\r\n\r\n").encode() + encoded + b"--att--\r\n"


def attachment_25mb() -> bytes:
    block = bytes(range(256)) * 4096  # 1 MiB that does not compress away
    return _with_attachment("Erasure, ID attached", "scan.tiff", "image/tiff", block * 25)


def one_megabyte_line() -> bytes:
    return (f"{HEAD}Subject: Erasure\r\nMessage-ID: <longline@example.com>\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\n\r\n").encode() \
        + REQUEST.strip().encode() + b" " + b"delete " * 150_000 + b"\r\n"


def nested_multipart(depth: int = 100) -> bytes:
    inner = f"Content-Type: text/plain\r\n\r\n{REQUEST}".encode()
    for level in range(depth):
        b = f"n{level}".encode()
        inner = (b"Content-Type: multipart/mixed; boundary=" + b + b"\r\n\r\n--" + b + b"\r\n"
                 + inner + b"\r\n--" + b + b"--\r\n")
    return (HEAD + "Subject: Erasure\r\nMessage-ID: <deep@example.com>\r\nMIME-Version: 1.0\r\n"
            ).encode() + inner


def nested_messages(depth: int = 60) -> bytes:
    """message/rfc822 inside message/rfc822, 60 times (forwarded forwards)."""
    inner = f"{HEAD}Subject: inner\r\n\r\n{REQUEST}".encode()
    for _ in range(depth):
        inner = (f"{HEAD}Subject: Fwd\r\nMIME-Version: 1.0\r\n"
                 f"Content-Type: message/rfc822\r\n\r\n").encode() + inner
    return inner


def many_parts(count: int = 5000) -> bytes:
    parts = b"".join(b"--p\r\nContent-Type: text/plain\r\n\r\npart\r\n" for _ in range(count))
    return (f"{HEAD}Subject: Erasure\r\nMessage-ID: <parts@example.com>\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: multipart/mixed; boundary=p\r\n\r\n--p\r\nContent-Type: text/plain"
            f"\r\n\r\n{REQUEST}").encode() + parts + b"--p--\r\n"


def many_headers(count: int = 10_000) -> bytes:
    headers = b"".join(b"X-Filler-%d: value %d\r\n" % (i, i) for i in range(count))
    return headers + f"{HEAD}Subject: Erasure\r\nMessage-ID: <headers@example.com>\r\n\r\n" \
        f"{REQUEST}".encode()


def long_header() -> bytes:
    return (f"{HEAD}Subject: Erasure {'x' * 200_000}\r\nMessage-ID: <hdr@example.com>\r\n"
            f"References: {' '.join(f'<r{i}@example.com>' for i in range(5000))}\r\n\r\n"
            f"{REQUEST}").encode()


def zip_bomb(megabytes: int = 256, copies: int = 16) -> tuple[bytes, int]:
    """A zip of `copies` zips, each holding `megabytes` MiB of zeros: a few MB that unpack to
    copies * megabytes MiB. Returns the message and the attachment's own size."""
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z, \
            z.open("zeros.bin", "w", force_zip64=True) as handle:
        chunk = bytes(1 << 20)
        for _ in range(megabytes):
            handle.write(chunk)
    outer = io.BytesIO()
    with zipfile.ZipFile(outer, "w", zipfile.ZIP_STORED) as z:
        for n in range(copies):
            z.writestr(f"part{n:02d}.zip", inner.getvalue())
    payload = outer.getvalue()
    return _with_attachment("Erasure, documents attached", "documents.zip", "application/zip",
                            payload), len(payload)
