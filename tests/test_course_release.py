"""The learner edition of the real lessons: every exercise is stripped and graded "not done yet".

``make grade NB=notebooks`` (the reference solutions) is not repeated here: strict nbval already
runs every check cell of the reference and compares its ✔ line.
"""

import re

import nbformat

from common import classroom

LESSONS = sorted(classroom.REFERENCE.glob("*.ipynb"))


def check_cells(path):
    return [c for c in nbformat.read(path, as_version=4).cells if "check" in classroom.tags(c)]


def test_every_lesson_has_its_graded_exercises():
    counts = {path.stem[:2]: len(check_cells(path)) for path in LESSONS}
    assert all(counts[lesson] >= 2 for lesson in ("01", "02", "03", "04", "05")), counts
    assert counts["06"] >= 3, counts


def test_released_lessons_fail_every_exercise_as_not_done(tmp_path, grade):
    learner = tmp_path / "learner"
    classroom.release(learner)
    for path in LESSONS:
        released = nbformat.read(learner / path.name, as_version=4)
        for cell in released.cells:
            assert classroom.BEGIN not in cell.source and not cell.get("outputs")
            if "exercise" in classroom.tags(cell):
                assert classroom.STUB in cell.source

    code, out, table = grade(learner)
    rows = [row for lesson_rows in table.values() for row in lesson_rows]
    assert code == 1
    assert len(rows) == sum(len(check_cells(path)) for path in LESSONS), out
    for row in rows:
        assert re.fullmatch(r"FAIL  \w+ +\[\w+\] not done yet: .*", row), row
