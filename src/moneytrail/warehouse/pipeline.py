"""Named SQL steps run in order on any engine; each step a view or a materialised table."""

from __future__ import annotations

from dataclasses import dataclass, field

from moneytrail.warehouse.engine import Engine, check_name


@dataclass
class Step:
    name: str
    sql: str
    materialise: bool = False


@dataclass
class Pipeline:
    """A chain of SQL steps; later steps read earlier ones by name.

    Steps that are not materialised become temporary views (DuckDB: `CREATE TEMP VIEW`,
    Spark: a temp view over the query), so cheap steps cost nothing until read.
    """

    steps: list[Step] = field(default_factory=list)

    def step(self, name: str, sql: str, materialise: bool = False) -> Pipeline:
        self.steps.append(Step(check_name(name), sql, materialise))
        return self

    def run(self, engine: Engine) -> list[str]:
        done = []
        for step in self.steps:
            if step.materialise:
                engine.create_table(step.name, step.sql)
            else:
                create_view(engine, step.name, step.sql)
            done.append(step.name)
        return done


def create_view(engine: Engine, name: str, sql: str) -> None:
    """A session-scoped view over a DuckDB-dialect query, on either engine."""
    engine.execute(f"CREATE OR REPLACE TEMPORARY VIEW {check_name(name)} AS {sql}")
