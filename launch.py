"""Start E2GAN Studio: `python launch.py` opens it in your browser on http://127.0.0.1:7860."""

from __future__ import annotations

import argparse
import secrets
import sys
from pathlib import Path

from e2gan.project import default_projects_dir


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Start E2GAN Studio in your browser.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this computer only)")
    parser.add_argument("--port", type=int, default=7860, help="port (default 7860; the next free one if taken)")
    parser.add_argument("--projects", type=Path, default=None, help=f"projects directory (default {default_projects_dir()})")
    parser.add_argument("--no-browser", action="store_true", help="don't open a browser window")
    parser.add_argument(
        "--share-lan",
        action="store_true",
        help="listen on all network interfaces so a phone on your Wi-Fi can connect (anyone on the network can!)",
    )
    parser.add_argument(
        "--password",
        default=None,
        help="the password the page asks for (user 'studio'); with --share-lan a random one is made and printed if not given",
    )
    parser.add_argument("--max-upload-mb", type=int, default=200, help="refuse uploads larger than this (default 200)")
    parser.add_argument(
        "--import-root",
        action="append",
        type=Path,
        metavar="DIR",
        help="a folder the page may import photos from by path (repeatable; default ~/Pictures, none with --share-lan)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    from studio.app import LOGIN_USER, LaunchOptions, launch

    password = args.password
    if args.share_lan:
        password = password or secrets.token_urlsafe(9)
        print(
            "WARNING: --share-lan: the studio listens on ALL network interfaces. Anyone on your network can "
            "reach it; the page and its API ask for a password. Use it only on a network you trust.\n"
            f"Log in as '{LOGIN_USER}' with the password: {password}",
            file=sys.stderr,
        )
    roots = None if args.import_root is None else tuple(str(r) for r in args.import_root)
    port = _free_port(args.host, args.port)
    options = LaunchOptions(args.host, port, args.projects, not args.no_browser, args.share_lan, args.max_upload_mb, roots, password)
    launch(options)


def _free_port(host: str, port: int) -> int:
    """The requested port if free, else the next free one (so a second studio still starts)."""
    import socket

    for candidate in range(port, port + 100):
        with socket.socket() as s:
            try:
                s.bind((host, candidate))
                return candidate
            except OSError:
                continue
    return port


if __name__ == "__main__":
    main()
