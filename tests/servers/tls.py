"""TLS and OAuth2 test servers: a throwaway CA, Dovecot with IMAPS/STARTTLS and an oauth2
passdb, the introspection endpoint that passdb asks, aiosmtpd with TLS and XOAUTH2.

Everything runs on 127.0.0.1; certificates are made with the `openssl` command line tool
(no Python dependency). See /work/shared/notes/tls-oauth.md for how this was worked out.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from servers.real import Dovecot, SmtpRecorder, free_port, make_root, run_as

HERE = Path(__file__).parent
EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


@dataclass(frozen=True)
class CertFiles:
    ca: str            # the CA clients are given as ca_file
    cert: str          # server certificate for 127.0.0.1 and localhost, issued by `ca`
    key: str
    other_cert: str    # issued by `ca` for mail.other.example only
    other_key: str
    unrelated_ca: str  # a second CA that issued nothing the servers use


def _openssl(*args: str, cwd: Path) -> None:
    if shutil.which("openssl") is None:
        raise RuntimeError("openssl is missing: apt-get install openssl")
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _ca(directory: Path, name: str) -> None:
    _openssl("req", "-x509", "-new", *EC_KEY, "-days", "2", "-subj", f"/CN=rightsbot {name}",
             "-keyout", f"{name}.key", "-out", f"{name}.pem",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=directory)


def _leaf(directory: Path, name: str, alt_names: str, ca: str) -> None:
    cn = alt_names.split(",")[-1].split(":", 1)[1]
    _openssl("req", "-new", *EC_KEY, "-subj", f"/CN={cn}", "-keyout", f"{name}.key",
             "-out", f"{name}.csr", cwd=directory)
    (directory / f"{name}.ext").write_text(
        f"subjectAltName={alt_names}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n")
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}.key",
             "-CAcreateserial", "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.pem",
             cwd=directory)


def make_certs(directory: Path) -> CertFiles:
    """A test CA, a server certificate for 127.0.0.1/localhost, one for another host name,
    and an unrelated CA. Valid for two days; about 0.1 s with EC keys."""
    directory.mkdir(parents=True, exist_ok=True)
    _ca(directory, "ca")
    _ca(directory, "unrelated-ca")
    _leaf(directory, "server", "IP:127.0.0.1,DNS:localhost", "ca")
    _leaf(directory, "other", "DNS:mail.other.example", "ca")
    for name in ("server", "other"):
        os.chmod(directory / f"{name}.key", 0o644)  # read by Dovecot's config process
    d = str(directory)
    return CertFiles(ca=f"{d}/ca.pem", cert=f"{d}/server.pem", key=f"{d}/server.key",
                     other_cert=f"{d}/other.pem", other_key=f"{d}/other.key",
                     unrelated_ca=f"{d}/unrelated-ca.pem")


class Introspection:
    """RFC 7662 token introspection on loopback: the tokens the test allows, and who asked.

    Dovecot's oauth2 passdb POSTs token=<t>; a known token answers active=true with the user
    it belongs to, anything else active=false (the way a provider reports revoked tokens).
    """

    def __init__(self) -> None:
        self.valid: dict[str, str] = {}
        self.asked: list[str] = []
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                token = (form.get("token") or [""])[0]
                with owner.lock:
                    owner.asked.append(token)
                    user = owner.valid.get(token)
                body = {"active": True, "username": user} if user else {"active": False}
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/introspect"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def allow(self, token: str, user: str) -> None:
        with self.lock:
            self.valid[token] = user

    def revoke(self, token: str) -> None:
        with self.lock:
            self.valid.pop(token, None)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class TlsDovecot(Dovecot):
    imaps_port: int = 0
    certs: CertFiles | None = None
    introspection: Introspection | None = None

    def save(self, user: str, raw: bytes) -> None:
        """Put a message in the user's INBOX without IMAP (no login, no TLS involved)."""
        subprocess.run(["doveadm", "-c", self.conf, "save", "-u", user, "-m", "INBOX"],
                       input=raw, check=True, capture_output=True)


def start_tls_dovecot(certs: CertFiles, introspection: Introspection,
                      users: Iterable[str]) -> TlsDovecot:
    """Dovecot with IMAPS and STARTTLS (certs), passwd-file users (password "secret") and an
    oauth2 passdb for XOAUTH2/OAUTHBEARER that asks `introspection`."""
    root = make_root()
    uid, gid, nonroot, login_chroot = run_as(root)
    for name in ("server", "other"):
        shutil.copy(getattr(certs, "cert" if name == "server" else "other_cert"),
                    f"{root}/{name}.pem")
        shutil.copy(getattr(certs, "key" if name == "server" else "other_key"),
                    f"{root}/{name}.key")
    Path(root, "oauth2.conf.ext").write_text(
        (HERE / "oauth2.conf.ext.in").read_text().format(introspection_url=introspection.url))
    port, imaps_port = free_port(), free_port()
    conf = os.path.join(root, "dovecot.conf")
    Path(conf).write_text((HERE / "dovecot-tls.conf.in").read_text().format(
        root=root, port=port, imaps_port=imaps_port, uid=uid, gid=gid, nonroot=nonroot,
        login_chroot=login_chroot))
    server = TlsDovecot(root=root, port=port, conf=conf, proc=None,  # type: ignore[arg-type]
                        imaps_port=imaps_port, certs=certs, introspection=introspection)
    server.add_users({user: "secret" for user in users})
    server.start()
    return server


def server_context(certs: CertFiles) -> ssl.SSLContext:
    """What aiosmtpd presents: the test CA's certificate for 127.0.0.1/localhost."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certs.cert, certs.key)
    return context


class XOAuth2Recorder(SmtpRecorder):
    """aiosmtpd handler: records envelopes, and SASL XOAUTH2 against tokens the test controls.

    A refused token gets what Gmail sends: a 334 challenge with a JSON error, then 535 once
    the client answers it with an empty line (RFC 7628 style)."""

    def __init__(self) -> None:
        super().__init__()
        self.valid: dict[str, str] = {}
        self.auth_attempts: list[tuple[str, str]] = []  # (user, token) as presented

    async def auth_XOAUTH2(self, server: Any, args: list[str]) -> Any:
        from aiosmtpd.smtp import AuthResult

        if len(args) == 2:
            blob = args[1]
        else:
            answer = await server.challenge_auth("")
            if not isinstance(answer, bytes):
                return AuthResult(success=False, handled=True)
            blob = base64.b64encode(answer).decode()
        try:
            fields = dict(part.split("=", 1) for part in
                          base64.b64decode(blob, validate=True).decode().split("\x01") if part)
            user, token = fields["user"], fields["auth"].removeprefix("Bearer ")
        except (ValueError, KeyError):
            return AuthResult(success=False, handled=False, message="501 5.5.2 Bad XOAUTH2")
        self.auth_attempts.append((user, token))
        if self.valid.get(token) == user:
            return AuthResult(success=True, auth_data=user)
        error = json.dumps({"status": "401", "schemes": "bearer", "scope": "mail"})
        await server.challenge_auth(error)  # the client acknowledges with an empty line
        return AuthResult(success=False, handled=False,
                          message="535 5.7.8 Username and Password not accepted")
