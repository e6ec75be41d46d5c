"""Trace exports: FollowTheMoney entities (Aleph, ftm tools) and GEXF 1.3 (Gephi)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from followthemoney import model
from lxml import etree

if TYPE_CHECKING:
    from followthemoney import EntityProxy

    from moneytrail.trace.result import TraceNode, TraceResult

DATASET = "moneytrail"
_CRYPTO_KINDS = {"crypto_address", "crypto_tx", "wallet"}
_HOLDER_SCHEMA = {"person": "Person", "company": "Company"}


def _is_crypto(node: TraceNode) -> bool:
    return node.kind in _CRYPTO_KINDS or node.id.startswith("btctx:") or (node.kind is None and len(node.id) != 32)


def _holder(node: TraceNode) -> EntityProxy:
    holder = model.make_entity(_HOLDER_SCHEMA.get(node.holder_kind or "", "LegalEntity"))
    holder.make_id(DATASET, "holder", node.id)
    holder.add("name", f"holder of {node.id}")
    if node.hotlisted:
        holder.add("topics", "sanction")
    return holder


def _account(node: TraceNode, holder: EntityProxy) -> EntityProxy:
    summary = (
        f"trace {node.role} at hop {node.hop}; traced value received {node.received:.2f}, kept {node.retained:.2f}"
    )
    if _is_crypto(node):
        account = model.make_entity("CryptoWallet")
        account.make_id(DATASET, "wallet", node.id)
        if node.id.startswith("btctx:"):
            account.add("name", f"bitcoin transaction {node.id.removeprefix('btctx:')}")
        else:
            account.add("publicKey", node.id)
        account.add("holder", holder)
    else:
        account = model.make_entity("BankAccount")
        account.make_id(DATASET, "account", node.id)
        account.add("accountNumber", node.id)
        account.add("bankName", node.member)
        account.add("accountType", node.kind)
    account.add("summary", summary)
    return account


def ftm_entities(result: TraceResult) -> list[dict[str, Any]]:
    """Holders (Person / Company / LegalEntity), accounts (BankAccount / CryptoWallet) and Payments."""
    holders: dict[str, EntityProxy] = {}
    accounts: dict[str, EntityProxy] = {}
    nodes = {n.id: n for n in result.nodes}
    for edge in result.edges:
        for end in (edge.source, edge.target):
            if end not in nodes:
                from moneytrail.trace.result import TraceNode

                nodes[end] = TraceNode(id=end)
    for node in nodes.values():
        holders[node.id] = _holder(node)
        accounts[node.id] = _account(node, holders[node.id])
    entities = [*holders.values(), *accounts.values()]
    for edge in result.edges:
        payment = model.make_entity("Payment")
        payment.make_id(DATASET, "payment", edge.source, edge.target, *edge.txn_ids)
        payment.add("payer", holders[edge.source])
        payment.add("beneficiary", holders[edge.target])
        for end, prop in ((edge.source, "payerAccount"), (edge.target, "beneficiaryAccount")):
            if accounts[end].schema.name == "BankAccount":
                payment.add(prop, accounts[end])
        payment.add("amount", round(edge.amount, 8))
        payment.add("currency", edge.currency)
        payment.add("startDate", edge.first_time.date().isoformat())
        payment.add("endDate", edge.last_time.date().isoformat())
        payment.add("date", edge.first_time.date().isoformat())
        payment.add("transactionNumber", edge.txn_ids)
        payment.add(
            "description",
            f"{result.attribution}: {edge.attributed:.8f} of {edge.value:.8f} is traced money; hop {edge.hop}",
        )
        entities.append(payment)
    return [e.to_dict() for e in entities]


GEXF_NS = "http://gexf.net/1.3"
_NODE_ATTRS = (("member", "string"), ("kind", "string"), ("role", "string"), ("risk", "double"), ("hop", "integer"),
               ("received", "double"), ("retained", "double"))  # fmt: skip
_EDGE_ATTRS = (("amount", "double"), ("currency", "string"), ("attributed", "double"), ("hop", "integer"),
               ("first_time", "string"), ("txn_ids", "string"))  # fmt: skip


def gexf(result: TraceResult) -> str:
    """The trace as GEXF 1.3: nodes with member/kind/role/risk, edges weighted by traced value."""
    root = etree.Element(f"{{{GEXF_NS}}}gexf", nsmap={None: GEXF_NS}, version="1.3")
    meta = etree.SubElement(root, "meta")
    etree.SubElement(meta, "creator").text = "moneytrail"
    etree.SubElement(
        meta, "description"
    ).text = f"{result.direction} trace from {', '.join(result.start)}, {result.hops} hops, {result.attribution}"
    graph = etree.SubElement(root, "graph", defaultedgetype="directed", mode="static")
    for cls, attrs in (("node", _NODE_ATTRS), ("edge", _EDGE_ATTRS)):
        block = etree.SubElement(graph, "attributes", {"class": cls})
        for i, (name, kind) in enumerate(attrs):
            etree.SubElement(block, "attribute", id=str(i), title=name, type=kind)
    nodes_el = etree.SubElement(graph, "nodes")
    seen = set()
    for node in result.nodes:
        seen.add(node.id)
        el = etree.SubElement(nodes_el, "node", id=node.id, label=f"{node.member or ''} {node.kind or ''} {node.id}")
        values = etree.SubElement(el, "attvalues")
        for i, (name, _) in enumerate(_NODE_ATTRS):
            value = getattr(node, name)
            if value is not None:
                etree.SubElement(values, "attvalue", {"for": str(i), "value": str(value)})
    for edge in result.edges:
        for end in (edge.source, edge.target):
            if end not in seen:
                seen.add(end)
                etree.SubElement(nodes_el, "node", id=end, label=end)
    edges_el = etree.SubElement(graph, "edges")
    for i, edge in enumerate(result.edges):
        el = etree.SubElement(
            edges_el, "edge", id=str(i), source=edge.source, target=edge.target, weight=repr(max(edge.attributed, 0.0))
        )
        values = etree.SubElement(el, "attvalues")
        row = {**edge.__dict__, "first_time": edge.first_time.isoformat(), "txn_ids": " ".join(edge.txn_ids)}
        for j, (name, _) in enumerate(_EDGE_ATTRS):
            if row.get(name) is not None:
                etree.SubElement(values, "attvalue", {"for": str(j), "value": str(row[name])})
    return str(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True).decode("utf-8"))
