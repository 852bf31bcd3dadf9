"""A tab whose step is not built yet: it says so plainly and what it will do."""

from __future__ import annotations

import gradio as gr


def build(step: str, what: str) -> None:
    gr.Markdown(f"**{step} is not built yet.** When it is, this tab will {what}", elem_classes=["upcoming"])
