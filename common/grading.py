"""The machinery behind the graded exercises' check cells.

A check calls the learner's function on fixed and random inputs through a :class:`Checker`.
On success it prints one stable line, ``✔ softmax: 6/6 checks passed``; on the first failure it
raises :class:`ExerciseFailed` with a one-line message that names the exercise, the input, the
expected and the received value, and a hint where the mistake is a typical one.
"""

import contextlib
import copy
import warnings

import numpy as np


class ExerciseFailed(AssertionError):
    """A graded exercise gave a wrong answer. The message is one line."""


class ExerciseNotDone(ExerciseFailed):
    """A graded exercise still raises ``NotImplementedError``."""


def format_value(value):
    """Show a value on one short line: small arrays in full, large ones by shape."""
    if isinstance(value, (list, tuple)):
        try:
            value = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            return repr(value)
    if isinstance(value, np.ndarray):
        if value.size > 8:
            return f"<array of shape {value.shape}>"
        if value.ndim == 0:
            value = value[()]
        else:
            return "[" + ", ".join(format_value(row) for row in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {format_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (float, np.floating)):
        text = f"{float(value):.6g}"
        return text + ".0" if text.lstrip("-").isdigit() else text
    if isinstance(value, np.integer):
        return str(int(value))
    return repr(value)


def describe_difference(expected, received):
    """Say how ``received`` differs from ``expected`` (same shape): in full, or where most."""
    if expected.size <= 8:
        return f"should be {format_value(expected)}, got {format_value(received)}"
    gap = np.abs(received - expected)
    index = np.unravel_index(np.argmax(np.where(np.isnan(gap), np.inf, gap)), expected.shape)
    where = ", ".join(str(int(i)) for i in index)
    return (f"differs most at [{where}]: should be {format_value(expected[index])}, "
            f"got {format_value(received[index])}")


@contextlib.contextmanager
def recording_warnings():
    """Record NumPy's overflow, invalid-value and divide warnings inside the block in a list.

    Underflow (np.exp(-1000) = 0) is harmless and ignored.
    """
    with (warnings.catch_warnings(record=True) as caught,
          np.errstate(over="warn", invalid="warn", divide="warn", under="ignore")):
        warnings.simplefilter("always")
        yield caught


def _same_numbers(a, b, rtol, atol):
    try:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    except (TypeError, ValueError):
        return False
    return a.shape == b.shape and np.allclose(a, b, rtol=rtol, atol=atol)


class Checker:
    """Runs the checks of one exercise against the learner's function ``func``."""

    def __init__(self, exercise, func):
        if not callable(func):
            raise ExerciseFailed(f"[{exercise}] expected a function, got "
                                 f"{type(func).__name__}: pass the function itself, "
                                 f"without calling it")
        self.exercise = exercise
        self.func = func
        self.passed = 0

    def fail(self, message):
        raise ExerciseFailed(f"[{self.exercise}] {message}")

    def describe(self, args):
        name = getattr(self.func, "__name__", self.exercise)
        return f"{name}({', '.join(format_value(a) for a in args)})"

    def call(self, *args, label=None):
        """Call the learner's function on copies of ``args``; report a crash or a changed input."""
        label = label or self.describe(args)
        copies = copy.deepcopy(args)
        try:
            result = self.func(*copies)
        except NotImplementedError:
            raise ExerciseNotDone(f"[{self.exercise}] not done yet: replace "
                                  "`raise NotImplementedError` with your code") from None
        except ExerciseFailed:
            raise
        except Exception as error:  # the learner's bug, reported on one line
            message = str(error).splitlines()[0] if str(error) else ""
            self.fail(f"{label} raised {type(error).__name__}: {message}")
        for original, passed in zip(args, copies, strict=True):
            if isinstance(original, np.ndarray) and not np.array_equal(
                    original, passed, equal_nan=True):
                self.fail(f"{label} changed its input in place; compute a new array instead")
        return result

    def expect_close(self, args, expected, *, hints=(), label=None, rtol=1e-6, atol=1e-9):
        """Check that ``func(*args)`` has the shape and values of ``expected``; return it.

        ``hints`` pairs a typical wrong answer (a value, or a predicate on the received value)
        with the advice to give when the learner's answer matches it.
        """
        label = label or self.describe(args)
        got = self.call(*args, label=label)
        self.compare(label, got, expected, hints=hints, rtol=rtol, atol=atol)
        return got

    def compare(self, label, got, expected, *, hints=(), rtol=1e-6, atol=1e-9):
        """Check a value already received (say, one entry of a returned dict) against ``expected``.

        ``label`` says what the value is, e.g. ``"step(...)['W1']"``; ``hints`` as in
        ``expect_close``.
        """
        expected = np.asarray(expected, dtype=float)
        try:
            received = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            self.fail(f"{label} should return numbers, got {type(got).__name__} {got!r}")
        hint = ""
        for wrong, advice in hints:
            matches = wrong(received) if callable(wrong) else _same_numbers(
                received, wrong, rtol, atol)
            if matches:
                hint = f" - {advice}"
                break
        if received.shape != expected.shape:
            self.fail(f"{label} should have shape {expected.shape}, got shape "
                      f"{received.shape}{hint}")
        if not np.allclose(received, expected, rtol=rtol, atol=atol, equal_nan=False):
            self.fail(f"{label} {describe_difference(expected, received)}{hint}")
        self.passed += 1

    def expect(self, condition, message):
        """Count a check that the caller computed; ``message`` explains a failure."""
        if not condition:
            self.fail(message)
        self.passed += 1

    def done(self):
        """Print the one success line. A check with nothing checked is a bug, not a pass."""
        if self.passed == 0:
            raise RuntimeError(f"[{self.exercise}] the check ran no checks")
        print(f"✔ {self.exercise}: {self.passed}/{self.passed} checks passed")


def _show_one_line(shell, etype, value, tb, tb_offset=None):
    """IPython handler: show an exercise failure as its message alone, without a traceback."""
    shell._showtraceback(etype, value, [f"✘ {value}"])


def _install_ipython_handler():
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        shell.set_custom_exc((ExerciseFailed,), _show_one_line)


_install_ipython_handler()
