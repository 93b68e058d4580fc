"""Checks for lesson 00, getting started: the course's smallest exercise, ``double(x)``."""

import numpy as np

from common.grading import Checker

ADDED = "you added 2: twice x means x multiplied by 2"
SQUARED = "you squared x: twice x means x multiplied by 2, not by itself"
UNCHANGED = "you returned x itself: multiply it by 2"


def check_double(double):
    """``double(x)`` returns 2 x, for a number and element by element for an array."""
    checker = Checker("double", double)
    checker.expect_close((3.0,), 6.0, hints=[(5.0, ADDED), (9.0, SQUARED), (3.0, UNCHANGED)])
    checker.expect_close((-1.5,), -3.0, hints=[(0.5, ADDED), (2.25, SQUARED)])
    checker.expect_close((0.0,), 0.0, hints=[(2.0, ADDED)])
    checker.expect_close((np.array([1.0, -2.0, 0.5]),), np.array([2.0, -4.0, 1.0]),
                         hints=[(lambda got: np.shape(got) == (6,),
                                 "for a list, 2 * x repeats it; work on the NumPy array")])
    checker.done()
