"""The bar above the tabs: pick, create or rename a project, and see every step's status."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import gradio as gr

from e2gan.project import ProjectError
from studio.context import Studio, status_markdown


@dataclass
class ProjectBar:
    project: gr.Dropdown  # its value (a project name) is the tab's selected project
    status: gr.Markdown
    message: gr.Markdown
    opened: gr.State  # the project the tabs show; changes once per real switch (tabs listen to it)
    controls: tuple  # enabled by the page-load event, so nothing races the load's update of the picker

    def on_open(self, fn, inputs, outputs) -> None:
        """Run `fn` when another project is opened: the picker can report the same value several times
        (page load, create and refresh updating it at once); a tab reloads only on a real switch, so it never
        overwrites what the user is typing."""
        self.opened.change(fn, inputs, outputs, api_name=False)


def build(studio: Studio) -> ProjectBar:
    with gr.Row(equal_height=True):
        project = gr.Dropdown(
            label="Project", choices=[], value=None, scale=3, elem_id="project-picker",
            allow_custom_value=True,  # the API and scripts name projects directly; handlers validate the name
        )  # fmt: skip
        new_name = gr.Textbox(label="New project name", placeholder="e.g. watercolour", scale=2, elem_id="new-name", interactive=False)
        create = gr.Button("Create project", variant="primary", scale=1, elem_id="create-project", interactive=False)
        refresh = gr.Button("↻", scale=0, min_width=40, elem_id="refresh-projects", interactive=False)
    status = gr.Markdown(status_markdown(None), elem_id="project-status")
    message = gr.Markdown("", elem_id="project-message")
    opened = gr.State(None)
    bar = ProjectBar(project, status, message, opened, (new_name, create, refresh))

    def on_create(name: str):
        try:
            created = studio.store.create(name)
        except ProjectError as e:
            return gr.update(), gr.update(), f"⚠️ {e}"
        studio.remember(created.root.name)
        choices = studio.project_names()
        return gr.update(choices=choices, value=created.root.name), "", f"Created **{created.root.name}**."

    def on_refresh(current: str | None):
        choices = studio.project_names()
        value = current if current in choices else studio.last_project()
        return gr.update(choices=choices, value=value)

    def on_select(name: str | None, current: str | None):
        if name == current:
            return gr.update(), current
        with contextlib.suppress(ProjectError):
            if name and studio.store.exists(name):
                studio.store.open(name, heal=True)
                studio.remember(name)
        return status_markdown(studio.project(name)), name

    create.click(on_create, [new_name], [project, new_name, message], api_name="create_project")
    new_name.submit(on_create, [new_name], [project, new_name, message], api_name=False)
    refresh.click(on_refresh, [project], [project], api_name="list_projects")
    project.change(on_select, [project, opened], [status, opened], api_name=False)
    return bar


def on_page_load(studio: Studio, bar: ProjectBar) -> tuple:
    """When a page (re)loads: fill the project list, reopen the last project, then enable the bar's buttons."""
    enable = [gr.update(interactive=True)] * len(bar.controls)
    return gr.update(choices=studio.project_names(), value=studio.last_project()), *enable
