"""E2GAN Studio's library: every step from an edit prompt to a real-time filter, without the UI.

Importing it loads no model and touches no network; heavy modules import what they need when used.
Start reading at `e2gan.project` (the folder every step shares).
"""

__version__ = "0.1.0"
