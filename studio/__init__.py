"""E2GAN Studio's Gradio app: layout and wiring only; every step's work is done by `e2gan`.

Importing it builds nothing: `studio.app.build_app` makes the UI, `studio.app.launch` serves it.
"""
