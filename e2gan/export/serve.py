"""Serve a phone web build on the local network (explicit opt-in), with a QR code to open it.

Phones only allow the camera on https pages, so the server speaks https with a self-signed certificate
made for this computer's LAN address (the phone asks once to trust it). It serves exactly one folder:
paths are resolved and must stay inside it (no `..`, no symlink escapes), only GET/HEAD are answered, and
the COOP/COEP headers let onnxruntime-web use several threads.
"""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import socket
import ssl
import threading
from functools import partial
from pathlib import Path

from e2gan.text.cache import default_cache_dir


def lan_ip() -> str:
    """This computer's address on the local network (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))
            return s.getsockname()[0]
        except OSError:
            return "127.0.0.1"


class _Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *args, root: Path, **kwargs):
        self.root = root
        super().__init__(*args, directory=str(root), **kwargs)

    def translate_path(self, path: str) -> str:
        resolved = Path(super().translate_path(path)).resolve()
        if resolved != self.root and self.root not in resolved.parents:
            return str(self.root / "__forbidden__")  # outside the folder (.., symlinks): 404
        return str(resolved)

    def list_directory(self, path):  # never list folders
        self.send_error(404)
        return None

    def end_headers(self) -> None:
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format, *args) -> None:  # quiet
        pass


class PhoneServer:
    """`start()` serves `folder` on host:port (https unless `tls=False`); `url` is what the QR code encodes."""

    def __init__(self, folder: str | Path, host: str = "0.0.0.0", port: int = 0, tls: bool = True):
        self.folder = Path(folder).resolve()
        if not (self.folder / "index.html").is_file():
            raise FileNotFoundError(f"{self.folder} is not a web build (no index.html)")
        self.host, self.port, self.tls = host, port, tls
        self.httpd: http.server.ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host = lan_ip() if self.host == "0.0.0.0" else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}/"

    def start(self) -> "PhoneServer":
        handler = partial(_Handler, root=self.folder)
        self.httpd = http.server.ThreadingHTTPServer((self.host, self.port), handler)
        self.port = self.httpd.server_address[1]
        if self.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self_signed_certificate(lan_ip()))
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        threading.Thread(target=self.httpd.serve_forever, name="phone-server", daemon=True).start()
        return self

    def stop(self) -> None:
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None


def self_signed_certificate(ip: str) -> tuple[str, str]:
    """(cert, key) paths for `ip`, made once and cached in the user's cache folder."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = default_cache_dir() / "tls"
    cert_path, key_path = folder / f"{ip}.crt", folder / f"{ip}.key"
    if cert_path.is_file() and key_path.is_file():
        return str(cert_path), str(key_path)
    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"E2GAN Studio on {ip}")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=825))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(cert_path), str(key_path)


def qr_image(url: str, box: int = 8):
    """A PIL image of a QR code for `url`."""
    import qrcode

    qr = qrcode.QRCode(border=2, box_size=box)
    qr.add_data(url)
    qr.make(fit=True)
    return qr.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
