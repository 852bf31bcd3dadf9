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


def build(studio: Studio) -> ProjectBar:
    with gr.Row(equal_height=True):
        project = gr.Dropdown(
            label="Project", choices=[], value=None, scale=3, elem_id="project-picker",
            allow_custom_value=True,  # the API and scripts name projects directly; handlers validate the name
        )  # fmt: skip
        new_name = gr.Textbox(label="New project name", placeholder="e.g. watercolour", scale=2, elem_id="new-name")
        create = gr.Button("Create project", variant="primary", scale=1, elem_id="create-project")
        refresh = gr.Button("↻", scale=0, min_width=40, elem_id="refresh-projects")
    status = gr.Markdown(status_markdown(None), elem_id="project-status")
    message = gr.Markdown("", elem_id="project-message")
    bar = ProjectBar(project, status, message)

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

    def on_select(name: str | None):
        with contextlib.suppress(ProjectError):
            if name and studio.store.exists(name):
                studio.store.open(name, heal=True)
                studio.remember(name)
        return status_markdown(studio.project(name))

    create.click(on_create, [new_name], [project, new_name, message], api_name="create_project")
    new_name.submit(on_create, [new_name], [project, new_name, message])
    refresh.click(on_refresh, [project], [project], api_name="list_projects")
    project.change(on_select, [project], [status], api_name=False)
    return bar


def on_page_load(studio: Studio):
    """Fill the project list and reopen the last project when a page (re)loads."""
    return gr.update(choices=studio.project_names(), value=studio.last_project())
