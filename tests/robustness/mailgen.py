"""Realistic mail composed in code: rights requests (English, Dutch) and the mail around them.

Used by the robustness tests and the benchmarks. Everything is deterministic for a seed. The
requests are written to be unmistakable; the non-requests never rely on the classifier to be
left alone: newsletters carry List-Id, out-of-office replies Auto-Submitted, bounces come from
MAILER-DAEMON with a null Return-Path, and quotes and invoices are plainly commercial.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

OUR_ADDRESS = "info@harbourline.example"
REQUEST_KINDS = ("request_en", "request_nl")
KINDS = ("request_en", "request_nl", "quote", "invoice", "newsletter", "out_of_office", "bounce")

FIRST = ("Anna", "Bram", "Chloe", "Daan", "Emily", "Femke", "George", "Hanna", "Isaac", "Joris",
         "Kate", "Lotte", "Mohammed", "Noor", "Oliver", "Priya", "Quinten", "Ruth", "Sem", "Tess")
LAST = ("Jansen", "de Vries", "Smith", "Bakker", "Okafor", "Visser", "Brown", "Mulder", "Patel",
        "de Boer", "Wilson", "Dekker", "Hughes", "Meijer", "Clarke", "Bos", "Evans", "Smit")
DOMAINS = ("example.com", "example.net", "example.nl", "mail.example.org", "post.example.co.uk")

REQUESTS_EN = (
    ("Please delete my personal data",
     "Please delete all my personal data from your systems. I no longer use your services and "
     "I do not want you to keep any information about me."),
    ("Erasure request",
     "I am writing to ask you to erase all personal data you hold about me, under Article 17 "
     "of the GDPR. Please delete my account and every record linked to my email address."),
    ("Subject access request",
     "This is a subject access request under Article 15 of the UK GDPR. Please tell me what "
     "personal data you hold about me, where you got it and who you have shared it with."),
    ("What data do you hold about me?",
     "Under the GDPR I would like to know which personal information your company holds "
     "about me and what you use it for. Please treat this as a subject access request."),
    ("Remove my details",
     "Please erase my personal data and delete my customer account. I want all my details "
     "removed from your database."),
)
# Dutch access requests sit near the portability label for the shipped model (staff triage),
# so the Dutch ones ask for erasure: unmistakable for any model.
REQUESTS_NL = (
    ("Verwijdering van mijn gegevens",
     "Ik wil dat u al mijn persoonsgegevens verwijdert. Graag ontvang ik een bevestiging dat "
     "al mijn gegevens uit uw systemen zijn gewist."),
    ("Verzoek om verwijdering",
     "Op grond van artikel 17 van de AVG verzoek ik u om al mijn persoonsgegevens te "
     "verwijderen en mijn klantaccount op te heffen."),
    ("Wissen van mijn gegevens",
     "Wilt u al mijn persoonsgegevens wissen? Ik ben geen klant meer en wil niet dat u mijn "
     "gegevens bewaart."),
)
GREETING = {"en": ("Hello,", "Dear Sir or Madam,", "Hi,", "Good morning,"),
            "nl": ("Beste,", "Geachte heer, mevrouw,", "Hallo,", "Goedendag,")}
CLOSING = {"en": ("Kind regards,", "Thank you,", "Regards,", "Best wishes,"),
           "nl": ("Met vriendelijke groet,", "Groet,", "Vriendelijke groeten,", "Dank u wel,")}
GOODS = ("pallet racking", "shrink wrap film", "corrugated boxes", "steel drums", "forklift tyres",
         "cargo straps", "reefer container hire", "customs bonds", "air freight to Rotterdam")


@dataclass(frozen=True)
class Mail:
    kind: str
    sender: str
    message_id: str
    raw: bytes

    @property
    def is_request(self) -> bool:
        return self.kind in REQUEST_KINDS


class MailFactory:
    """Composes mails; `serial` keeps every sender and Message-ID unique within one factory."""

    def __init__(self, seed: int = 1, start: datetime | None = None) -> None:
        self.rng = random.Random(seed)
        self.serial = 0
        self.start = start or datetime(2026, 11, 2, 8, 0, tzinfo=UTC)

    # -- building blocks -------------------------------------------------------------------
    def _next(self) -> int:
        self.serial += 1
        return self.serial

    def _person(self, n: int) -> tuple[str, str]:
        first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
        local = f"{first}.{last}".lower().replace(" ", "")
        return f"{first} {last}", f"{local}.{n}@{self.rng.choice(DOMAINS)}"

    def _base(self, n: int, name: str, address: str, subject: str) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = f"{name} <{address}>" if name else address
        msg["To"] = OUR_ADDRESS
        msg["Subject"] = subject
        when = self.start + timedelta(minutes=7 * n + self.rng.randrange(7))
        msg["Date"] = format_datetime(when)
        msg["Message-ID"] = f"<gen.{n}.{self.rng.getrandbits(40):x}@{address.split('@')[1]}>"
        return msg

    def _filler(self, words: int) -> str:
        vocabulary = ("shipment", "container", "week", "schedule", "harbour", "delivery", "terms",
                      "warehouse", "tariff", "route", "vessel", "Tuesday", "loading", "berth")
        lines, line = [], []
        for _ in range(words):
            line.append(self.rng.choice(vocabulary))
            if len(line) == 12:
                lines.append(" ".join(line).capitalize() + ".")
                line = []
        return "\n".join(lines)

    def _attach(self, msg: EmailMessage, size: int, filename: str, maintype: str,
                subtype: str) -> None:
        msg.add_attachment(self.rng.randbytes(size), maintype=maintype, subtype=subtype,
                           filename=filename)

    # -- the kinds -------------------------------------------------------------------------
    def request(self, language: str = "en") -> Mail:
        n = self._next()
        name, address = self._person(n)
        subject, body = self.rng.choice(REQUESTS_EN if language == "en" else REQUESTS_NL)
        text = (f"{self.rng.choice(GREETING[language])}\n\n{body}\n\n"
                f"{self.rng.choice(CLOSING[language])}\n{name}\n")
        msg = self._base(n, name, address, subject)
        msg.set_content(text)
        return Mail(f"request_{language}", address, msg["Message-ID"], msg.as_bytes())

    def quote(self, padding_words: int = 0) -> Mail:
        n = self._next()
        name, address = self._person(n)
        goods = self.rng.choice(GOODS)
        number = 1000 + n
        msg = self._base(n, name, address, f"Quotation Q-{number}: {goods}")
        price = self.rng.randrange(400, 9000)
        msg.set_content(
            f"Hello,\n\nThank you for your enquiry. Our quotation Q-{number} for {goods}: "
            f"EUR {price} excluding VAT, delivery within {self.rng.randrange(2, 9)} working "
            f"days, payment 30 days net. The offer is valid until the end of the month.\n\n"
            f"{self._filler(padding_words)}\n\nBest regards,\n{name}\nSales, "
            f"{address.split('@')[1]}\n")
        return Mail("quote", address, msg["Message-ID"], msg.as_bytes())

    def invoice(self, pdf_bytes: int = 0) -> Mail:
        n = self._next()
        _, address = self._person(n)
        address = f"billing.{n}@{address.split('@')[1]}"
        number = 52000 + n
        msg = self._base(n, "Accounts receivable", address, f"Invoice INV-{number}")
        msg.set_content(
            f"Dear customer,\n\nPlease find attached invoice INV-{number} for "
            f"EUR {self.rng.randrange(100, 20000)}.{self.rng.randrange(100):02d}, due in 30 days. "
            f"Kindly transfer the amount to IBAN NL00 BANK 0123 4567 89 quoting the invoice "
            f"number.\n\nAccounts receivable\n")
        if pdf_bytes:
            self._attach(msg, pdf_bytes, f"INV-{number}.pdf", "application", "pdf")
        return Mail("invoice", address, msg["Message-ID"], msg.as_bytes())

    def newsletter(self, html_words: int = 300) -> Mail:
        n = self._next()
        address = f"news.{n}@lists.example.com"
        msg = self._base(n, "Freight Weekly", address, f"Freight Weekly #{n}: rates and routes")
        msg["List-Id"] = "Freight Weekly <weekly.lists.example.com>"
        msg["List-Unsubscribe"] = f"<https://lists.example.com/u/{n}>"
        msg["Precedence"] = "bulk"
        paragraphs = "".join(f"<p>{self._filler(40)}</p>" for _ in range(max(1, html_words // 40)))
        msg.set_content(f"Freight Weekly #{n}\n\n{self._filler(html_words)}\n")
        msg.add_alternative(f"<html><body><h1>Freight Weekly #{n}</h1>{paragraphs}</body></html>",
                            subtype="html")
        return Mail("newsletter", address, msg["Message-ID"], msg.as_bytes())

    def out_of_office(self) -> Mail:
        n = self._next()
        name, address = self._person(n)
        msg = self._base(n, name, address, "Automatic reply: your message")
        msg["Auto-Submitted"] = "auto-replied"
        msg["X-Auto-Response-Suppress"] = "All"
        msg.set_content(f"I am out of the office until Monday with limited access to email.\n"
                        f"{name}\n")
        return Mail("out_of_office", address, msg["Message-ID"], msg.as_bytes())

    def bounce(self) -> Mail:
        n = self._next()
        when = format_datetime(self.start + timedelta(minutes=7 * n))
        message_id = f"<bounce.{n}.{self.rng.getrandbits(40):x}@mx.example.net>"
        boundary = f"=_report_{n}_{self.rng.getrandbits(32):x}"
        received = "".join(
            f"Received: from relay{i}.example.net (relay{i}.example.net [192.0.2.{i}])\r\n"
            f"\tby mx.example.net (Postfix) with ESMTPS id {self.rng.getrandbits(48):X}\r\n"
            f"\tfor <gone.{n}@example.net>; {when}\r\n" for i in range(1, 8))
        raw = (
            f"Return-Path: <>\r\nFrom: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n"
            f"To: {OUR_ADDRESS}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
            f"Date: {when}\r\nMessage-ID: {message_id}\r\nAuto-Submitted: auto-replied\r\n"
            f"MIME-Version: 1.0\r\nContent-Type: multipart/report; "
            f"report-type=delivery-status; boundary=\"{boundary}\"\r\n\r\n"
            f"--{boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
            f"This is the mail system at host mx.example.net.\r\n\r\nI'm sorry to have to "
            f"inform you that your message could not be delivered.\r\n\r\n"
            f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
            f"Reporting-MTA: dns; mx.example.net\r\n\r\nFinal-Recipient: rfc822; "
            f"gone.{n}@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
            f"--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n{received}"
            f"From: {OUR_ADDRESS}\r\nTo: gone.{n}@example.net\r\nSubject: Your shipment\r\n"
            f"\r\n--{boundary}--\r\n")
        return Mail("bounce", "mailer-daemon@mx.example.net", message_id, raw.encode())

    def padded(self, mail: Mail, at_least: int) -> Mail:
        """Quoted history under the new text (as mail clients add it), up to `at_least` bytes."""
        if len(mail.raw) >= at_least or b"multipart" in mail.raw[:2000]:
            return mail
        head, sep, body = mail.raw.partition(b"\n\n")
        quoted = []
        size = len(mail.raw)
        while size < at_least:
            line = "> " + " ".join(self._filler(12).split()[:8]) + "\n"
            quoted.append(line)
            size += len(line) + 1
        history = ("\nOn Monday the harbour desk wrote:\n" + "".join(quoted)).encode()
        if b"base64" in head.lower():
            return mail  # short ASCII lines are valid 7bit, 8bit and quoted-printable alike
        return Mail(mail.kind, mail.sender, mail.message_id, head + sep + body + history)

    # -- mixes -----------------------------------------------------------------------------
    def mixed(self, count: int, request_share: float = 1 / 3) -> list[Mail]:
        """Small mails (1-4 KB), about `request_share` of them requests, EN and NL."""
        out = []
        for _ in range(count):
            if self.rng.random() < request_share:
                out.append(self.request(self.rng.choice(("en", "nl"))))
                continue
            kind = self.rng.choice(("quote", "invoice", "newsletter", "out_of_office", "bounce"))
            out.append(self._other(kind, small=True))
        return out

    def realistic(self, count: int, request_share: float = 0.1) -> list[Mail]:
        """A shared-mailbox day: 2 KB to 200 KB, mostly text, some HTML and attachments."""
        out = []
        for _ in range(count):
            roll = self.rng.random()
            if roll < request_share:
                out.append(self.request(self.rng.choice(("en", "nl"))))
            elif roll < 0.55:
                out.append(self.quote(padding_words=self.rng.randrange(150, 900)))
            elif roll < 0.70:
                out.append(self.newsletter(html_words=self.rng.randrange(300, 4000)))
            elif roll < 0.80:
                out.append(self.invoice(pdf_bytes=self.rng.randrange(20_000, 145_000)))
            elif roll < 0.88:
                out.append(self.out_of_office())
            elif roll < 0.93:
                out.append(self.bounce())
            else:
                out.append(self.invoice(pdf_bytes=self.rng.randrange(100_000, 145_000)))
            out[-1] = self.padded(out[-1], 2048)
        return out

    def _other(self, kind: str, small: bool) -> Mail:
        if kind == "quote":
            return self.quote(padding_words=self.rng.randrange(20, 200) if small else 600)
        if kind == "invoice":
            return self.invoice()
        if kind == "newsletter":
            return self.newsletter(html_words=120 if small else 2000)
        if kind == "out_of_office":
            return self.out_of_office()
        return self.bounce()
