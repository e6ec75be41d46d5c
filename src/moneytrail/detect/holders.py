"""One holder's accounts across members: account tokens whose holders share a phone or e-mail token.

The coalition's cross-member link. A victim pays the extortionist from a P2P app and buys the gift
cards with a bank's debit card; a livestream payer remits from one member and pays the webcam site
with another's card. Rules that INDICATORS.md states per customer ("new for the customer", "a
customer who also triggers rule 1") follow these links, and so does the score's second stage.
A card is linked through its issuer's records: the issuing bank lists the PAN under its customer.
"""

from __future__ import annotations

from moneytrail.warehouse.engine import Engine, literal

SAME_HOLDER_TABLE = "detect_same_holder"

# A phone or e-mail shared by more holders than this is a switchboard or a shared inbox, not one person.
MAX_HOLDERS_PER_CONTACT = 8

_PER_CONTACT = " UNION ALL ".join(
    f"""SELECT h.node, h.{c} AS contact FROM holders h JOIN (
            SELECT {c} FROM holders WHERE {c} IS NOT NULL GROUP BY {c}
            HAVING count(DISTINCT node) BETWEEN 2 AND {MAX_HOLDERS_PER_CONTACT}) k ON k.{c} = h.{c}"""
    for c in ("phone_token", "email_token")
)

SAME_HOLDER_SQL = f"""
WITH holders AS (
    SELECT DISTINCT a.account_token AS node, p.phone_token, p.email_token FROM accounts a
    JOIN parties p ON p.party_id = a.party_id AND p.member_id = a.member_id
    WHERE a.account_token IS NOT NULL {{member_filter}}
), shared AS ({_PER_CONTACT})
SELECT DISTINCT x.node AS token, y.node AS other_token FROM shared x JOIN shared y
    ON y.contact = x.contact AND y.node <> x.node
"""


def same_holder(engine: Engine, member_id: str | None = None) -> None:
    """Write `detect_same_holder(token, other_token)`, both directions; one member's records only when given.

    Needs `accounts` and `parties` (empty stand-ins are fine: no links).
    """
    member_filter = "" if member_id is None else f"AND a.member_id = {literal(member_id)}"
    engine.create_table(SAME_HOLDER_TABLE, SAME_HOLDER_SQL.format(member_filter=member_filter))
