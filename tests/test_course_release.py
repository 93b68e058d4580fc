"""The learner edition of the real lessons: every exercise is stripped and graded "not done yet",
and Run All goes on to the end of every lesson before any exercise is done.

``make grade NB=notebooks`` (the reference solutions) is not repeated here: strict nbval already
runs every check cell of the reference and compares its ✔ line.
"""

import re
from concurrent.futures import ProcessPoolExecutor

import nbformat

from common import classroom, grader

LESSONS = sorted(classroom.REFERENCE.glob("*.ipynb"))


def check_cells(path):
    return [c for c in nbformat.read(path, as_version=4).cells if "check" in classroom.tags(c)]


def test_every_lesson_has_its_graded_exercises():
    counts = {path.stem[:2]: len(check_cells(path)) for path in LESSONS}
    assert all(counts[lesson] >= 2 for lesson in ("01", "02", "03", "04", "05")), counts
    assert counts["06"] >= 3, counts


def graded_as_released(path):
    """Run one learner notebook as the grader does; give back what Run All would stop at (the
    cells that raised without the raises-exception tag) and each exercise's row."""
    nb = nbformat.read(path, as_version=4)
    released = grader.released_checks(path)
    marker = "@@release-test@@"
    fingerprint, ran, trouble = grader.run_notebook(path, released, marker)
    assert trouble is None, trouble
    stops = [cell.source.splitlines()[0] for cell in nb.cells
             if cell.id in ran and grader.error_line(ran[cell.id])
             and "raises-exception" not in classroom.tags(cell)]
    exercises = grader.exercises_of(nb, released)
    for exercise in exercises:
        grader.judge(exercise, ran, released, fingerprint, marker)
    return stops, [(exercise.passed, exercise.name, exercise.reason) for exercise in exercises]


def test_released_lessons_fail_every_exercise_as_not_done_and_run_to_the_end(tmp_path):
    learner = tmp_path / "learner"
    classroom.release(learner)
    for path in LESSONS:
        released = nbformat.read(learner / path.name, as_version=4)
        for cell in released.cells:
            assert classroom.BEGIN not in cell.source and not cell.get("outputs")
            if "exercise" in classroom.tags(cell):
                assert classroom.STUB in cell.source

    with ProcessPoolExecutor(max_workers=2) as pool:
        results = dict(zip(LESSONS, pool.map(graded_as_released,
                                             [learner / path.name for path in LESSONS]),
                           strict=True))
    for path, (stops, rows) in results.items():
        # JupyterLab's Run All stops at the first such cell: there must be none.
        assert stops == [], (path.name, stops)
        assert len(rows) == len(check_cells(path)), (path.name, rows)
        for passed, name, reason in rows:
            assert not passed and re.fullmatch(rf"\[{name}\] not done yet: .*", reason), (
                path.name, name, reason)
