"""One holder's accounts across members (a shared phone or e-mail token), and one household's (device, address).

The coalition's cross-member link. A victim pays the extortionist from a P2P app and buys the gift
cards with a bank's debit card; a livestream payer remits from one member and pays the webcam site
with another's card. Rules that INDICATORS.md states per customer ("new for the customer", "a
customer who also triggers rule 1") follow these links, and so does the score's second stage.
A card is linked through its issuer's records: the issuing bank lists the PAN under its customer.

A household is wider: holders who share a device or a postal address. INDICATORS.md rule 15 (S10,
"family operations") links a livestream operation's wallets this way; the score's later stages read
it as a separate link, since two people at one address are not one person.
"""

from __future__ import annotations

from moneytrail.warehouse.engine import Engine, literal

SAME_HOLDER_TABLE = "detect_same_holder"
SAME_HOUSEHOLD_TABLE = "detect_same_household"

# A contact shared by more holders than this is a switchboard, a shared inbox, an office block or a
# shop's tablet, not one person or one household.
MAX_HOLDERS_PER_CONTACT = 8


def _links_sql(contacts: tuple[str, ...]) -> str:
    """Pairs of account tokens whose holders share one of `contacts` (columns of `parties`), both directions."""
    columns = ", ".join(f"p.{c}" for c in contacts)
    per_contact = " UNION ALL ".join(
        f"""SELECT h.node, '{c}:' || h.{c} AS contact FROM holders h JOIN (
                SELECT {c} FROM holders WHERE {c} IS NOT NULL GROUP BY {c}
                HAVING count(DISTINCT node) BETWEEN 2 AND {MAX_HOLDERS_PER_CONTACT}) k ON k.{c} = h.{c}"""
        for c in contacts
    )
    return f"""
WITH holders AS (
    SELECT DISTINCT a.account_token AS node, {columns} FROM accounts a
    JOIN parties p ON p.party_id = a.party_id AND p.member_id = a.member_id
    WHERE a.account_token IS NOT NULL {{member_filter}}
), shared AS ({per_contact})
SELECT DISTINCT x.node AS token, y.node AS other_token FROM shared x JOIN shared y
    ON y.contact = x.contact AND y.node <> x.node
"""


SAME_HOLDER_SQL = _links_sql(("phone_token", "email_token"))
SAME_HOUSEHOLD_SQL = _links_sql(("device_token", "address_token"))


def _write_links(engine: Engine, table: str, sql: str, member_id: str | None) -> None:
    member_filter = "" if member_id is None else f"AND a.member_id = {literal(member_id)}"
    engine.create_table(table, sql.format(member_filter=member_filter))


def same_holder(engine: Engine, member_id: str | None = None) -> None:
    """Write `detect_same_holder(token, other_token)`, both directions; one member's records only when given.

    Needs `accounts` and `parties` (empty stand-ins are fine: no links).
    """
    _write_links(engine, SAME_HOLDER_TABLE, SAME_HOLDER_SQL, member_id)


def same_household(engine: Engine, member_id: str | None = None) -> None:
    """Write `detect_same_household(token, other_token)`: holders sharing a device or address token, both directions."""
    _write_links(engine, SAME_HOUSEHOLD_TABLE, SAME_HOUSEHOLD_SQL, member_id)
