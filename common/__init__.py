"""Helpers shared by the course's notebooks: ``from common import functions, print_vec``."""

from common import functions
from common.datasets import load_iris
from common.functions import print_vec

__all__ = ["functions", "load_iris", "print_vec"]
