"""Teachers: models that edit source photos into the before/after pairs a student learns from.

One interface (`Teacher.edit(images, prompt, seeds) -> images`, `Teacher.describe()`), implemented by
diffusion pipelines (`diffusion.py`: InstructPix2Pix, Stable Diffusion img2img/SDEdit; weights from the hub
or a local folder) and by built-in offline edits (`offline.py`) that need no weights at all, so the whole
studio works without a GPU or a download. `make_teacher(spec)` builds one from its saved description.
"""

from e2gan.teachers.base import Teacher, TeacherSpec, make_teacher, pair_seed

__all__ = ["Teacher", "TeacherSpec", "make_teacher", "pair_seed"]
