"""The machinery behind the graded exercises' check cells.

A check calls the learner's function on fixed and random inputs through a :class:`Checker`.
On success it prints one stable line, ``✔ softmax: 6/6 checks passed``; on the first failure it
raises :class:`ExerciseFailed` with a one-line message that names the exercise, the input, the
expected and the received value, and a hint where the mistake is a typical one.
"""

import contextlib
import copy
import inspect
import linecache
import re
import warnings

import numpy as np


class ExerciseFailed(AssertionError):
    """A graded exercise gave a wrong answer. The message is one line."""


class ExerciseNotDone(ExerciseFailed):
    """A graded exercise still raises ``NotImplementedError``."""


class Refused(Exception):
    """Raised by a library function that the exercise being checked re-implements."""

    def __init__(self, name):
        super().__init__(f"{name} is not available while its exercise is checked")
        self.name = name


def _refusing_code(name):
    """The code of a function that raises ``Refused(name)`` whatever it is called with."""
    namespace = {}
    exec("def refused(*args, **kwargs):\n"
         "    import common.grading\n"
         f"    raise common.grading.Refused({name!r})\n", namespace)
    return namespace["refused"].__code__


@contextlib.contextmanager
def refusing(targets):
    """Make each target function raise :class:`Refused` inside the block.

    A target is the name of a ``common.functions`` function or a function object. Its code is
    swapped, not its name, so every alias (``from common.functions import softmax as sm``)
    refuses too.
    """
    from common import functions

    swapped = []
    try:
        for target in targets:
            func = getattr(functions, target) if isinstance(target, str) else target
            name = f"{func.__module__.rpartition('.')[2]}.{func.__name__}"
            swapped.append((func, func.__code__))
            func.__code__ = _refusing_code(name)
        yield
    finally:
        for func, code in swapped:
            func.__code__ = code


def _in_place_change(original, passed, entries, keys, name):
    """What kind of change the learner made, and the advice for it: ``"list"`` (a list changed),
    ``"dict entry"`` (an entry of a dict argument replaced), ``"array in dict"`` (an array inside
    a dict changed) or ``"array"``."""
    changed = original
    for key in keys:
        changed = changed[key]
    if isinstance(changed, list):
        return "list", (f"build a new list instead of changing it (append, pop, ...): "
                        f"{name}[1:] or list({name}) + [...] are new lists")
    if entries is not None and keys:
        key = keys[0]
        if key not in passed or key not in entries or passed[key] is not entries[key]:
            return "dict entry", (f"assigning {name}[...] = ... changes the caller's dict (new "
                                  f"= {name} does not copy it): build a new dict, e.g. new = {{}} "
                                  "and new[key] = ...")
        return "array in dict", (f"{name}[key] -= ... changes the array inside the caller's dict "
                                 f"({name}.copy() shares the arrays): compute new arrays, "
                                 f"new[key] = {name}[key] - ...")
    return "array", "compute new arrays and return them (e.g. y = x * 2, or x.copy() first)"


def changed_inside(original, passed, keys=()):
    """The keys (dict keys, list indices) that lead to where ``passed``, a copy of ``original``
    given to the learner, now differs; None if nothing changed.

    Looks inside dicts, lists and tuples, so an array changed in place inside a dict counts.
    """
    if isinstance(original, np.ndarray):
        same = (isinstance(passed, np.ndarray) and original.shape == passed.shape
                and np.array_equal(original, passed, equal_nan=original.dtype.kind in "fc"))
        return None if same else keys
    if isinstance(original, dict):
        if not isinstance(passed, dict) or original.keys() != passed.keys():
            return keys
        inner = original.items()
    elif isinstance(original, (list, tuple)):
        if type(passed) is not type(original) or len(passed) != len(original):
            return keys
        inner = enumerate(original)
    else:
        return None
    for key, value in inner:
        found = changed_inside(value, passed[key], (*keys, key))
        if found is not None:
            return found
    return None


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

    def __init__(self, exercise, func, without=(), in_place=None):
        """``without``: the functions refused while ``func`` runs (see :func:`refusing`).
        ``in_place(name, kind)``: the exercise's own advice for an argument changed in place
        (``kind`` as in :func:`_in_place_change`), or None for the general advice."""
        if not callable(func):
            raise ExerciseFailed(f"[{exercise}] expected a function, got "
                                 f"{type(func).__name__}: pass the function itself, "
                                 f"without calling it")
        self.exercise = exercise
        self.func = func
        self.without = tuple(without)
        self.in_place = in_place
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
        given = [dict(a) if isinstance(a, dict) else None for a in copies]  # entries as passed
        try:
            with refusing(self.without):
                result = self.func(*copies)
        except Refused as refused:
            self.fail(f"write it yourself, without {refused.name}: the exercise is to build it "
                      "from NumPy operations")
        except NotImplementedError:
            raise ExerciseNotDone(f"[{self.exercise}] not done yet: replace "
                                  "`raise NotImplementedError` with your code") from None
        except ExerciseFailed:
            raise
        except Exception as error:  # the learner's bug, reported on one line
            message = str(error).splitlines()[0] if str(error) else ""
            advice = next((f" - {a}" for pattern, a in CRASH_ADVICE if pattern in message), "")
            self.fail(f"{label} raised {type(error).__name__}: {message}{advice}")
        for name, original, passed, entries in zip(self._parameter_names(len(args)), args,
                                                    copies, given, strict=True):
            keys = changed_inside(original, passed)
            if keys is not None:
                where = "".join(f"[{key!r}]" for key in keys)
                also = " and returned None" if result is None else ""
                kind, advice = _in_place_change(original, passed, entries, keys, name)
                advice = (self.in_place and self.in_place(name, kind)) or advice
                self.fail(f"{label} changed its input in place ({name}{where}){also}; {advice}")
        return result

    def _parameter_names(self, count):
        """The names of the learner's first ``count`` parameters, for messages."""
        try:
            names = list(inspect.signature(self.func).parameters)
        except (TypeError, ValueError):
            names = []
        names = [n for n in names if n not in ("args", "kwargs")][:count]
        return names + [f"number {i + 1}" for i in range(len(names), count)]

    def expect_close(self, args, expected, *, hints=(), label=None, rtol=1e-6, atol=1e-9,
                     exact_type=True):
        """Check that ``func(*args)`` has the shape and values of ``expected``; return it.

        ``hints`` pairs a typical wrong answer (a value, or a predicate on the received value)
        with the advice to give when the learner's answer matches it.
        """
        label = label or self.describe(args)
        got = self.call(*args, label=label)
        self.compare(label, got, expected, hints=hints, rtol=rtol, atol=atol,
                     exact_type=exact_type)
        return got

    def compare(self, label, got, expected, *, hints=(), rtol=1e-6, atol=1e-9, exact_type=True):
        """Check a value already received (say, one entry of a returned dict) against ``expected``.

        ``label`` says what the value is, e.g. ``"step(...)['W1']"``; ``hints`` as in
        ``expect_close``. With ``exact_type``, an array is expected as a NumPy array (not a
        list) and a float as a float (not an integer dtype).
        """
        if got is None:
            self.fail(f"{label} returned None: end the function with `return ...` (print only "
                      "shows a value, return gives it back)")
        expected_type = np.asarray(expected)
        expected = np.asarray(expected, dtype=float)
        try:
            received = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            self.fail(f"{label} should return numbers, got {type(got).__name__} {got!r}")
        hint = ""
        for wrong, advice in hints:
            if self._matches(wrong, received, rtol, atol) and (
                    callable(wrong) or not _same_numbers(expected, wrong, rtol, atol)):
                hint = f" - {advice}"  # (a "mistake" equal to the answer would say nothing)
                break
        if exact_type:
            self._check_type(label, got, expected_type, hint)
        if received.shape != expected.shape:
            self.fail(f"{label} should have shape {expected.shape}, got shape "
                      f"{received.shape}{hint}")
        if not np.allclose(received, expected, rtol=rtol, atol=atol, equal_nan=False):
            shown = (expected, received)
            if expected_type.dtype.kind in "iu" and np.all(np.isfinite(received)) and np.all(
                    received == np.round(received)):  # counts are shown as whole numbers
                shown = (expected.astype(int), received.astype(int))
            self.fail(f"{label} {describe_difference(*shown)}{hint}")
        self.passed += 1

    @staticmethod
    def _matches(wrong, value, rtol, atol):
        """Whether ``value`` is the typical mistake ``wrong`` (a value or a predicate)."""
        return wrong(value) if callable(wrong) else _same_numbers(value, wrong, rtol, atol)

    def _check_type(self, label, got, expected, hint):
        """A list where an array is expected, or integers where floats are, fail here.

        A lone number where an array is expected is left to the shape check, which says more.
        """
        if expected.ndim >= 1 and isinstance(got, (list, tuple)):
            self.fail(f"{label} should return a NumPy array, got a {type(got).__name__}: build "
                      "the result with NumPy operations (np.array(...) turns a list into "
                      f"one){hint}")
        kind = np.asarray(got).dtype.kind
        if expected.dtype.kind == "f" and kind in "biu":
            self.fail(f"{label} should give decimal numbers (float), got "
                      f"{'True/False' if kind == 'b' else 'whole numbers'} (dtype "
                      f"{np.asarray(got).dtype}): write 1.0 rather than 1, or convert first "
                      f"with np.asarray(x, dtype=float){hint}")

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


# Crashes a beginner meets often, and what to do instead of what NumPy's own message suggests.
_MATH_ADVICE = ("the math module works on one number at a time; use NumPy's np.exp, np.tanh, "
                "..., which work on whole arrays")
_POWER_ADVICE = "in Python ^ is not a power: write t ** 2"
CRASH_ADVICE = [
    ("truth value of an array", "`if`, `and`, `or` and a == i & b == j decide for one number "
                                "only; for arrays use np.where(condition, a, b), and & with "
                                "brackets: (a == i) & (b == j)"),
    ("only 0-dimensional arrays can be converted to Python scalars", _MATH_ADVICE),
    ("only length-1 arrays can be converted to Python scalars", _MATH_ADVICE),
    ("ufunc 'bitwise_xor' not supported", _POWER_ADVICE),
    ("unsupported operand type(s) for ^", _POWER_ADVICE),
    ("object is not iterable", "the input may be a single number: use NumPy operations on the "
                               "whole array instead of a loop over it (or np.atleast_1d first)"),
]

CHECK_CALL = re.compile(r"\bcheck_\w+\(")


def _innermost(tb):
    """The traceback entry where the exception was raised."""
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb


def _show_one_line(shell, etype, value, tb, tb_offset=None):
    """IPython handler: show an exercise failure as its message alone, without a traceback; a
    NameError in a check call, or an unfinished exercise called by a later cell, as what to do
    about it. Any other NameError or NotImplementedError keeps its usual traceback."""
    last, message = _innermost(tb), value
    if issubclass(etype, NameError):
        line = last and linecache.getline(last.tb_frame.f_code.co_filename, last.tb_lineno)
        name = getattr(value, "name", None) or ""
        in_check_call = line and CHECK_CALL.search(line) and not name.startswith("check_")
        message = (f"NameError: `{name}` is not defined yet: run the exercise cell above "
                   f"first (Shift+Enter), and keep the function's name `{name}`"
                   if in_check_call and name else None)
    elif issubclass(etype, NotImplementedError):
        func = last.tb_frame.f_code.co_name if last is not None else "<module>"
        message = (f"`{func}` is not written yet: finish its exercise above (replace `raise "
                   "NotImplementedError` with your code), then run this cell again"
                   if not func.startswith("<") else None)
    if message is None:
        stb = shell.InteractiveTB.structured_traceback(etype, value, tb, tb_offset=tb_offset)
        return shell._showtraceback(etype, value, stb)
    shell._showtraceback(etype, value, [f"✘ {message}"])


def _install_ipython_handler():
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        shell.set_custom_exc((ExerciseFailed, NameError, NotImplementedError), _show_one_line)


_install_ipython_handler()
