"""The detection base table: transactions joined once with accounts, parties, FX and sender local time.

Every rule reads `detect_txn`, so the joins and conversions are paid once per run.
Optional warehouse tables a member may not have loaded (parties, merchants, hotlist, ...)
are exposed as empty tables of their schema so every rule compiles.
"""

from __future__ import annotations

import pyarrow as pa

from moneytrail.detect.holders import same_holder, same_household
from moneytrail.detect.lists import eur_per_usd, fx_rates, sql_in, utc_offsets
from moneytrail.errors import UserError
from moneytrail.ingest.schemas import SITE_REPORTS
from moneytrail.model import schemas
from moneytrail.warehouse.engine import Engine, add_missing_columns, literal

HOTLIST = pa.schema(
    [
        pa.field("kind", pa.string()),  # address, account_token, mid, url, descriptor
        pa.field("value", pa.string()),
        pa.field("chain", pa.string()),
        pa.field("typology", pa.string()),
        pa.field("source", pa.string()),
    ]
)

OPTIONAL_TABLES: dict[str, pa.Schema] = {
    "accounts": schemas.ACCOUNTS,
    "parties": schemas.PARTIES,
    "merchants": schemas.MERCHANTS,
    "wallets": schemas.WALLETS,
    "members": schemas.MEMBERS,
    "hotlist": HOTLIST,
    "site_reports": SITE_REPORTS,
}

# The coalition hotlist as rules read it: the shared list, plus every address spent together with a
# listed address in one on-chain transaction (common-input ownership: the site's cluster, S4/S12
# "address or cluster"; a site gives each payer its own address, so the test purchase's address
# alone is never paid again). Addresses a member hosts (exchange deposit and hot wallets) never join.
DETECT_HOTLIST_SQL = """
WITH base AS ({base}), hot AS (
    SELECT DISTINCT value, typology FROM base WHERE kind = 'address'
), hosted AS (
    SELECT DISTINCT address FROM wallets WHERE member_id IS NOT NULL AND kind IN ('deposit', 'hot')
), nodes AS (
    SELECT DISTINCT i.dst_account AS node, h.value AS seed, h.typology FROM detect_txn i
    JOIN hot h ON h.value = i.src_token WHERE i.chain IS NOT NULL AND i.dst_account LIKE '%tx:%'
), cospent AS (
    SELECT DISTINCT i.src_token AS value, i.chain, n.typology, n.seed FROM detect_txn i
    JOIN nodes n ON n.node = i.dst_account
    WHERE i.src_token NOT IN (SELECT value FROM hot) AND i.src_token NOT IN (SELECT address FROM hosted)
)
SELECT kind, value, chain, typology, source FROM base
UNION ALL SELECT 'address', value, chain, typology, 'cospend:' || seed FROM cospent
"""

# The coalition hotlist as members share it: shared indicators plus what hotline/internet-company
# site reports confirmed (the site's URL, and the MID, descriptor or crypto address of a test purchase).
HOTLIST_BASE_SQL = """
SELECT kind, value, chain, typology, source FROM hotlist WHERE value IS NOT NULL
UNION ALL SELECT 'url', url, NULL, 'csam', 'site_report:' || report_id FROM site_reports
    WHERE url IS NOT NULL AND category IN {categories}
UNION ALL SELECT 'mid', test_purchase_mid, NULL, 'csam', 'site_report:' || report_id FROM site_reports
    WHERE test_purchase_mid IS NOT NULL AND category IN {categories}
UNION ALL SELECT 'descriptor', test_purchase_descriptor, NULL, 'csam', 'site_report:' || report_id FROM site_reports
    WHERE test_purchase_descriptor IS NOT NULL AND category IN {categories}
UNION ALL SELECT 'address', test_purchase_crypto_address, NULL, 'csam_crypto', 'site_report:' || report_id
    FROM site_reports WHERE test_purchase_crypto_address IS NOT NULL AND category IN {categories}
"""

# Where a cash movement happened: bank statements carry the branch (or ATM/agent id) and its region in
# the entry's additional information (camt.053 AddtlTxInf); else the device or terminal id the reader filled.
BRANCH_RE = "(^|[^a-z])(?:branch|atm|terminal|agent)=([a-z0-9_-]+)"
REGION_RE = "region=([^;]+)"

# An account another member holds appears under its token only ("ext:<token>": the remitter knows the
# payout wallet's number, not the e-wallet's customer file). The coalition resolves it by the token to the
# member that holds it (the first with a holder record), so the beneficiary's KYC is known across members;
# on one member's view only that member's own records resolve.
DETECT_TXN_SQL = """
WITH acct AS (
    SELECT account_key, max(party_id) AS party_id, max(member_id) AS member_id, max(kind) AS kind
    FROM accounts GROUP BY account_key
), by_token AS (
    SELECT account_token, party_id, member_id, kind FROM (
        SELECT account_token, party_id, member_id, kind, row_number() OVER (
            PARTITION BY account_token ORDER BY CASE WHEN party_id IS NULL THEN 1 ELSE 0 END, member_id, party_id
        ) AS pick
        FROM accounts WHERE account_token IS NOT NULL {token_filter}
    ) x WHERE pick = 1
), party AS (
    SELECT party_id, member_id, max(kind) AS kind, max(age_band) AS age_band, max(surname_token) AS surname_token
    FROM parties GROUP BY party_id, member_id
), merchant AS (
    SELECT merchant_id, lower(max(name)) AS merchant_name FROM merchants GROUP BY merchant_id
), base AS (
    SELECT t.*, CAST(floor(epoch(t.ts)) AS BIGINT) AS t_s,
        CAST(t.amount AS DOUBLE) AS amount_num,
        coalesce(CAST(t.amount_usd AS DOUBLE) * {eur_per_usd}, CAST(t.amount AS DOUBLE) * fx.eur_per_unit)
            AS amount_eur_num
    FROM {source} t LEFT JOIN fx_rates fx ON fx.currency = upper(t.currency)
)
SELECT b.txn_id, b.member_id, b.ts, b.t_s, b.amount_num AS amount, b.amount_eur_num AS amount_eur,
    b.amount_eur_num / {eur_per_usd} AS amount_usd, upper(b.currency) AS currency, lower(b.channel) AS channel,
    b.src_account, b.dst_account, coalesce(b.src_token, b.src_account) AS src_token,
    coalesce(b.dst_token, b.dst_account) AS dst_token,
    upper(b.src_country) AS src_country, upper(b.dst_country) AS dst_country, b.mcc, b.merchant_id,
    mn.merchant_name, lower(b.relationship) AS relationship,
    lower(coalesce(b.reference, '')) AS reference, b.device_id, b.ip, lower(b.chain) AS chain, b.tx_hash,
    coalesce(nullif(regexp_extract(lower(coalesce(b.reference, '')), '{branch_re}', 2), ''), b.device_id) AS location,
    nullif(regexp_extract(lower(coalesce(b.reference, '')), '{region_re}', 1), '') AS region,
    coalesce(sa.kind, st.kind) AS src_kind, coalesce(da.kind, dt.kind) AS dst_kind,
    sm.kind AS src_member_kind, dm.kind AS dst_member_kind,
    sp.kind AS src_party_kind, sp.age_band AS src_age_band,
    sp.surname_token AS src_surname, dp.surname_token AS dst_surname,
    CAST(floor((hour(b.ts) + minute(b.ts) / 60.0 + coalesce(tz.utc_offset_hours, 0) + 24) % 24) AS INT)
        AS local_hour
FROM base b
LEFT JOIN acct sa ON sa.account_key = b.src_account
LEFT JOIN acct da ON da.account_key = b.dst_account
LEFT JOIN by_token st ON sa.account_key IS NULL AND st.account_token = b.src_token
LEFT JOIN by_token dt ON da.account_key IS NULL AND dt.account_token = b.dst_token
LEFT JOIN party sp ON sp.party_id = coalesce(sa.party_id, st.party_id)
    AND sp.member_id = coalesce(sa.member_id, st.member_id)
LEFT JOIN party dp ON dp.party_id = coalesce(da.party_id, dt.party_id)
    AND dp.member_id = coalesce(da.member_id, dt.member_id)
LEFT JOIN members sm ON sm.member_id = coalesce(sa.member_id, st.member_id)
LEFT JOIN members dm ON dm.member_id = coalesce(da.member_id, dt.member_id)
LEFT JOIN utc_offsets tz ON tz.country = upper(b.src_country)
LEFT JOIN merchant mn ON mn.merchant_id = b.merchant_id
"""


def register_reference_tables(engine: Engine) -> None:
    """FX and UTC offsets, plus empty stand-ins for optional warehouse tables that are absent."""
    engine.register("fx_rates", fx_rates())
    engine.register("utc_offsets", utc_offsets())
    for name, schema in OPTIONAL_TABLES.items():
        if not engine.has_table(name):
            engine.register(name, schema.empty_table())


def prepare(engine: Engine, source: str = "transactions", member_id: str | None = None) -> None:
    """Materialise `detect_txn`, the holder and household links (optionally from one member's rows only)."""
    if not engine.has_table(source):
        raise UserError(f"no {source} table in the warehouse: run `moneytrail ingest` first")
    register_reference_tables(engine)
    origin = source if member_id is None else f"(SELECT * FROM {source} WHERE member_id = {literal(member_id)})"
    token_filter = "" if member_id is None else f"AND member_id = {literal(member_id)}"
    # a warehouse ingested by an older moneytrail gets the columns added since, NULL, as ingest would give
    # it (a home ingested before `relationship` existed: rule 2 then reads surnames alone, as it did)
    add_missing_columns(engine, source, schemas.TRANSACTIONS)
    sql = DETECT_TXN_SQL.format(
        source=origin, eur_per_usd=repr(eur_per_usd()), branch_re=BRANCH_RE, region_re=REGION_RE,
        token_filter=token_filter,
    )
    engine.create_table("detect_txn", sql)
    same_holder(engine, member_id)
    same_household(engine, member_id)
    base = HOTLIST_BASE_SQL.format(categories=sql_in("hotlist_site_categories"))
    engine.create_table("detect_hotlist", DETECT_HOTLIST_SQL.format(base=base))
