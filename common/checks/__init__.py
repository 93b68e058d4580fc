"""Checks for the graded exercises, one module per lesson.

A check cell does, for example, ``from common.checks.output_layer import check_softmax`` and
then ``check_softmax(softmax)``. Each check is built on ``common.grading.Checker``.
"""
