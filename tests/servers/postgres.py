"""A private PostgreSQL server for the tests (Debian's postgresql package, no system service).

initdb into a temp directory and run `postgres` on a free loopback port. As root the server
runs as the `postgres` system user, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass

from servers.real import free_port


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError("PostgreSQL is missing: apt-get install postgresql "
                           "(make test does this when run as root)")
    return found[-1]


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@dataclass
class Postgres:
    root: str
    port: int
    proc: subprocess.Popen[bytes]
    counter: int = 0

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://rightsbot@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        import psycopg

        self.counter += 1
        name = f"t{self.counter}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=rightsbot dbname=postgres",
                             autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        shutil.rmtree(self.root, ignore_errors=True)


def start_postgres() -> Postgres:
    # mkdtemp's 0700 is enough: the server runs as the directory's owner (chowned below when
    # root) and the tests reach it over TCP on 127.0.0.1, not through its socket directory.
    root = tempfile.mkdtemp(prefix="pg-")
    data = os.path.join(root, "data")
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(root, user.pw_uid, user.pw_gid)
    subprocess.run(_as_server_user([_bin("initdb"), "-D", data, "-A", "trust", "-U", "rightsbot",
                                    "-E", "UTF8", "--no-sync"]),
                   check=True, capture_output=True)
    port = free_port()
    proc = subprocess.Popen(_as_server_user([
        _bin("postgres"), "-D", data, "-p", str(port), "-c", "listen_addresses=127.0.0.1",
        "-c", f"unix_socket_directories={root}", "-c", "fsync=off",
        "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = Postgres(root, port, proc)
    deadline = time.monotonic() + 30
    import psycopg

    while True:
        try:
            psycopg.connect(f"host=127.0.0.1 port={port} user=rightsbot dbname=postgres").close()
            return server
        except psycopg.OperationalError:
            if proc.poll() is not None or time.monotonic() > deadline:
                server.stop()
                raise RuntimeError("PostgreSQL did not start") from None
            time.sleep(0.1)
