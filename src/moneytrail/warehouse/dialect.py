"""SQL dialect differences as data.

Warehouse SQL is written once in DuckDB's dialect. Each engine names its sqlglot
dialect and, where sqlglot's translation is missing or wrong for that engine, a
table of function templates applied to the parsed tree before generating SQL.
Add an engine by subclassing `Dialect` and overriding the class attributes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, cast

import sqlglot
from sqlglot import exp

Transform = Callable[[exp.Expression], exp.Expression]


def _distinct_count_window(node: exp.Expression) -> exp.Expression:
    """Spark rejects COUNT(DISTINCT x) OVER (...); SIZE(COLLECT_SET(x)) OVER (...) is the same."""
    if isinstance(node, exp.Window) and isinstance(node.this, exp.Count):
        inner = node.this.this
        if isinstance(inner, exp.Distinct) and len(inner.expressions) == 1:
            collect = exp.Anonymous(this="COLLECT_SET", expressions=[inner.expressions[0].copy()])
            window = node.copy()
            window.set("this", collect)
            return exp.Anonymous(this="SIZE", expressions=[window])
    return node


class Dialect:
    """The DuckDB dialect: the one SQL is written in, so nothing to rewrite."""

    name: ClassVar[str] = "duckdb"
    sqlglot_dialect: ClassVar[str] = "duckdb"
    # function name (upper case, as sqlglot names the parsed function: DuckDB's epoch() is
    # TIME_TO_UNIX) -> template in the target dialect; {0}, {1}, ... are the arguments.
    functions: ClassVar[dict[str, str]] = {}
    transforms: ClassVar[tuple[Transform, ...]] = ()

    def translate(self, sql: str) -> str:
        """DuckDB SQL -> this engine's SQL (one or more statements joined by ';')."""
        if not self.functions and not self.transforms and self.sqlglot_dialect == "duckdb":
            return sql
        trees = sqlglot.parse(sql, read="duckdb")
        out = []
        for tree in trees:
            if tree is None:
                continue
            for transform in self.transforms:
                tree = tree.transform(transform)
            if self.functions:
                tree = tree.transform(self._apply_function_templates)
            out.append(tree.sql(dialect=self.sqlglot_dialect))
        return ";\n".join(out)

    def _apply_function_templates(self, node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Func):
            return node
        name = node.sql_name().upper() if not isinstance(node, exp.Anonymous) else str(node.this).upper()
        template = self.functions.get(name)
        if template is None:
            return node
        args = [a.sql(dialect=self.sqlglot_dialect) for a in node.args.values() if isinstance(a, exp.Expression)]
        return cast(exp.Expression, sqlglot.parse_one(template.format(*args), read=self.sqlglot_dialect))


class SparkDialect(Dialect):
    name: ClassVar[str] = "spark"
    sqlglot_dialect: ClassVar[str] = "spark"
    functions: ClassVar[dict[str, str]] = {
        # DuckDB epoch(ts) is seconds since 1970 as a double; Spark's unix_timestamp truncates.
        "TIME_TO_UNIX": "CAST(unix_micros({0}) AS DOUBLE) / 1000000",
    }
    transforms: ClassVar[tuple[Transform, ...]] = (_distinct_count_window,)


DIALECTS: dict[str, Dialect] = {"duckdb": Dialect(), "spark": SparkDialect()}
