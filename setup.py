"""Build hook: a wheel carries the top-level assets/ folder (shipped base, presets, phone page) as
e2gan/_assets/, where `e2gan.assets` finds it; everything else is configured in pyproject.toml."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithAssets(build_py):
    def run(self):
        super().run()
        if not getattr(self, "editable_mode", False):  # an editable install reads the checkout's assets/
            shutil.copytree(Path(__file__).parent / "assets", Path(self.build_lib) / "e2gan" / "_assets", dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("training"))  # a base's checkpoints are not part of it


setup(cmdclass={"build_py": BuildWithAssets})
