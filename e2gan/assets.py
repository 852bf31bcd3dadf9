"""Where the files that ship with the studio live: the shipped base model, the presets and the phone page.

In a checkout they are the top-level `assets/` folder; an installed wheel carries the same files as
`e2gan/_assets/` (copied there when the wheel is built: setup.py), so `pip install .` works anywhere.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def assets_dir() -> Path:
    """The checkout's assets/ when running from one, else the installed copy."""
    checkout = PACKAGE.parent / "assets"
    return checkout if (checkout / "presets").is_dir() else PACKAGE / "_assets"


def asset(*parts: str) -> Path:
    return assets_dir().joinpath(*parts)
