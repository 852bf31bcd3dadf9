"""The studio, as a table of contents: a project bar, then one tab per pipeline step in order."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from e2gan import sources
from e2gan.project import ProjectStore
from studio import project_bar
from studio.context import Studio
from studio.tabs import curate as curate_tab
from studio.tabs import export as export_tab
from studio.tabs import filter as filter_tab
from studio.tabs import teach as teach_tab
from studio.tabs import train as train_tab
from studio.tabs import try_live as try_tab

TITLE = "E2GAN Studio"
CSS = """
#project-status { font-size: 0.95em; }
.e2gan-hidden { display: none !important; }
"""


def build_app(store: ProjectStore, import_roots: tuple[str, ...] = ()) -> gr.Blocks:
    studio = Studio(store, import_roots=tuple(import_roots))
    with gr.Blocks(title=TITLE) as app:
        gr.Markdown(f"# {TITLE}\nType an edit, get a real-time filter you own.")
        bar = project_bar.build(studio)
        with gr.Tabs():
            with gr.Tab("1 · Filter", id="filter"):
                filter_tab.build(studio, bar)
            with gr.Tab("2 · Teach", id="teach"):
                teach_tab.build(studio, bar)
            with gr.Tab("3 · Curate", id="curate") as tab:
                curate_tab.build(studio, bar, tab)
            with gr.Tab("4 · Train", id="train") as tab:
                train_tab.build(studio, bar, tab)
            with gr.Tab("5 · Try", id="try") as tab:
                try_tab.build(studio, bar, tab)
            with gr.Tab("6 · Export", id="export"):
                export_tab.build(studio, bar)
        app.load(lambda: project_bar.on_page_load(studio, bar), None, [bar.project, *bar.controls], api_name=False)
    return app


LOGIN_USER = "studio"


@dataclass
class LaunchOptions:
    host: str = "127.0.0.1"
    port: int | None = None
    projects: Path | None = None
    open_browser: bool = True
    share_lan: bool = False
    max_upload_mb: int = 200  # larger uploads are refused (413) before they reach the disk
    import_roots: tuple[str, ...] | None = None  # None: ~/Pictures, or nothing when sharing on the LAN
    password: str | None = None  # asked by the page and its API (user LOGIN_USER); launch.py sets one for the LAN

    def roots(self) -> tuple[str, ...]:
        """Folders a path typed in the page may import from: by default the user's Pictures folder on this
        computer, and none when the studio listens on the network (people there did not start it)."""
        if self.import_roots is not None:
            return tuple(self.import_roots)
        return () if self.share_lan else sources.DEFAULT_IMPORT_ROOTS


def launch(options: LaunchOptions, block: bool = True):
    """Build and serve the studio; only the projects directory is served as files."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    store = ProjectStore(options.projects)
    store.root.mkdir(parents=True, exist_ok=True)
    host = "0.0.0.0" if options.share_lan else options.host
    app = build_app(store, options.roots())
    app.queue(default_concurrency_limit=4)
    return app.launch(
        server_name=host,
        server_port=options.port,
        inbrowser=options.open_browser,
        allowed_paths=[str(store.root)],
        max_file_size=f"{options.max_upload_mb}mb",
        prevent_thread_lock=not block,
        auth=(LOGIN_USER, options.password) if options.password else None,  # checked by the server, API included
        auth_message="E2GAN Studio: the password is printed in the terminal that started it.",
        show_error=True,  # an unforeseen error shows its own message, never a bare "Error"
        footer_links=[],
        css=CSS,
        head=curate_tab.MAP_EVENTS_JS,
        theme=gr.themes.Soft(),
    )
