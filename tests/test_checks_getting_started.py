"""Lesson 00's check: the smallest exercise, double(x), with a hint for each typical slip."""

import numpy as np
import pytest

from common.checks.getting_started import check_double


@pytest.mark.parametrize("double", [lambda x: 2 * x, lambda x: x + x, lambda x: x * 2.0,
                                    lambda x: np.multiply(x, 2)])
def test_right_answers_pass(passes, double):
    assert passes(check_double, double, "double") == "✔ double: 4/4 checks passed"


@pytest.mark.parametrize("wrong, hint", [
    (lambda x: x + 2, "should be 6.0, got 5.0 - you added 2"),
    (lambda x: x * x, "got 9.0 - you squared x"),
    (lambda x: x, "got 3.0 - you returned x itself"),
    (lambda x: np.concatenate([x, x]) if np.ndim(x) else 2 * x, "for a list, 2 * x repeats it"),
    (lambda x: [2 * v for v in x] if np.ndim(x) else 2 * x, "should return a NumPy array"),
    (lambda x: print(2 * x), "returned None"),
])
def test_wrong_answers_fail_with_a_hint(rejected, wrong, hint):
    assert hint in rejected(check_double, wrong, "double")


def test_the_stub_is_not_done(not_done):
    def double(x):
        raise NotImplementedError

    not_done(check_double, double, "double")
