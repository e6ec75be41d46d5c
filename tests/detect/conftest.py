"""Spark's Python workers must run this interpreter (with moneytrail installed), not a bare `python3`.

Set before any SparkSession starts; the lead is asked to make this the engine's default.
"""

from __future__ import annotations

import os
import sys

os.environ["PYSPARK_PYTHON"] = sys.executable
