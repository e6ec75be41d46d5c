"""Key rotation: a new coalition key version, and every token in the warehouse re-made with it.

The vaults hold each token's normalised identifier, so old -> new tokens are computed from
them; every token and account-key column named in the token plan is rewritten by a join on
that map (on-chain addresses are not tokens and stay as they are). Works on any engine.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from moneytrail.tokens.keys import CoalitionKey, rotate_key
from moneytrail.tokens.plan import plan
from moneytrail.tokens.tokenise import Tokeniser
from moneytrail.warehouse.engine import Engine, check_name


def token_map(engine: Engine, old: CoalitionKey, new: CoalitionKey) -> pa.Table:
    """kind, old, new for every identifier in every member's vault."""
    kinds: list[str] = []
    normalised: list[str] = []
    for name in engine.tables():
        if name.startswith("vault_"):
            rows = engine.query(f"SELECT DISTINCT kind, normalised FROM {check_name(name)}")
            kinds += [str(v) for v in rows.column("kind").to_pylist()]
            normalised += [str(v) for v in rows.column("normalised").to_pylist()]
    before, after = Tokeniser(old), Tokeniser(new)
    pairs = sorted(set(zip(kinds, normalised, strict=True)))
    return pa.table(
        {
            "kind": pa.array([k for k, _ in pairs], pa.string()),
            "old": pa.array([before.one(f"{k}:{v}") for k, v in pairs], pa.string()),
            "new": pa.array([after.one(f"{k}:{v}") for k, v in pairs], pa.string()),
        }
    )


def _rewrite(
    engine: Engine, table: str, tokens: dict[str, str], keys: dict[str, str], constants: dict[str, str] | None = None
) -> None:
    """Rewrite token columns (column -> kind; kind `*` reads the row's `kind`) and account-key
    columns (`PREFIX:TOKEN`, column -> kind) through `_token_map`."""
    columns = engine.query(f"SELECT * FROM {table} LIMIT 0").column_names
    joins: list[str] = []
    values: dict[str, str] = {c: f"t.{c}" for c in columns}
    specs = [(c, k, False) for c, k in sorted(tokens.items())] + [(c, k, True) for c, k in sorted(keys.items())]
    for number, (column, kind, is_key) in enumerate(specs):
        if column not in columns:
            continue
        alias = f"m{number}"
        kind_test = f"{alias}.kind = t.kind" if kind == "*" else f"{alias}.kind = '{kind}'"
        if is_key:
            token_part = f"substr(t.{column}, strpos(t.{column}, ':') + 1)"
            joins.append(f"LEFT JOIN _token_map {alias} ON {kind_test} AND {alias}.old = {token_part}")
            values[column] = (
                f"CASE WHEN {alias}.new IS NULL THEN t.{column} "
                f"ELSE substr(t.{column}, 1, strpos(t.{column}, ':')) || {alias}.new END"
            )
        else:
            joins.append(f"LEFT JOIN _token_map {alias} ON {kind_test} AND {alias}.old = t.{column}")
            values[column] = f"coalesce({alias}.new, t.{column})"
    values.update(constants or {})
    select = ", ".join(f"{sql} AS {column}" for column, sql in values.items())
    engine.create_table(table, f"SELECT {select} FROM {table} t {' '.join(joins)}")


def rotate(engine: Engine, key_file: Path) -> dict[str, int]:
    """Rotate the coalition key and re-tokenise the warehouse; returns counts."""
    old, new = rotate_key(key_file)
    mapping = token_map(engine, old, new)
    engine.register("_token_map", mapping)
    rewritten = 0
    for table, specs in plan().items():
        if not engine.has_table(table):
            continue
        tokens = {s.token: s.kind for s in specs if s.token}
        keys = {s.key: s.kind for s in specs if s.key}
        _rewrite(engine, table, tokens, keys)
        rewritten += 1
    for name in engine.tables():
        if name.startswith("vault_"):
            _rewrite(engine, name, {"token": "*"}, {}, {"key_version": f"CAST({new.version} AS INTEGER)"})
    return {"key_version": new.version, "identifiers": mapping.num_rows, "tables": rewritten}
