"""The synthetic coalition: labels, cross-member identities, exploitation share, determinism."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from moneytrail.errors import UserError
from moneytrail.model.vocabulary import roles, typologies
from moneytrail.synth import generate
from moneytrail.synth.schemes import EXPLOITATION

N = 30_000


@pytest.fixture(scope="module")
def coalition(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "run"
    generate(out, N, seed=11)
    return out


def _manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


def _csv(path: Path) -> list[dict]:
    return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(strings_can_be_null=True,
                                                                     column_types=None)).to_pylist()


def _kyc(out: Path, path: str) -> list[dict]:
    table = pacsv.read_csv(out / path, read_options=pacsv.ReadOptions(),
                           convert_options=pacsv.ConvertOptions(strings_can_be_null=True))
    return table.cast(__import__("pyarrow").schema([(n, __import__("pyarrow").string()) for n in
                                                     table.column_names])).to_pylist()


def test_every_typology_has_labelled_schemes(coalition: Path) -> None:
    txns = pq.read_table(coalition / "labels" / "transactions.parquet").to_pylist()
    accounts = pq.read_table(coalition / "labels" / "accounts.parquet").to_pylist()
    expected = [t for t in typologies() if t != "sanctions"]
    for typology in expected:
        schemes_txn = {r["scheme_id"] for r in txns if r["typology"] == typology}
        schemes_acct = {r["scheme_id"] for r in accounts if r["typology"] == typology}
        assert schemes_txn, f"no labelled transactions for {typology}"
        assert schemes_acct, f"no labelled accounts for {typology}"
    assert {r["typology"] for r in txns} <= set(typologies())
    assert {r["role"] for r in accounts} <= set(roles())
    # Exploitation schemes span several members (merchant laundering lives on the card rail).
    for typology in set(EXPLOITATION) - {"merchant_laundering"}:
        members = {r["member_id"] for r in txns if r["typology"] == typology}
        assert len(members) >= 2, (typology, members)


def test_labels_point_at_written_rows(coalition: Path) -> None:
    """Every labelled source_ref is a native id in that member's files (or a hash on chain)."""
    manifest = _manifest(coalition)
    ids: dict[str, set[str]] = {}
    for entry in manifest["files"]:
        path = coalition / entry["path"]
        member = entry["member_id"]
        if entry["format"] == "bitcoin-etl":
            ids.setdefault("btc", set()).update(json.loads(line)["hash"] for line in path.read_text().splitlines())
        elif entry["format"] in ("cards", "exchange") or entry.get("mapping", "").endswith(
                ("transfers", "payments", "transactions")):
            table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(strings_can_be_null=True))
            ids.setdefault(member, set()).update(str(v) for v in table.column(0).to_pylist())
        elif entry["format"] == "iso20022":
            text = path.read_text()
            tag = "<AcctSvcrRef>" if "camt.053" in text[:300] else "<TxId>"
            ids.setdefault(member, set()).update(part.split("<", 1)[0] for part in text.split(tag)[1:])
    labels = pq.read_table(coalition / "labels" / "transactions.parquet").to_pylist()
    missing = [r for r in labels if r["source_ref"] not in ids.get(r["member_id"], set())]
    assert labels and not missing, missing[:5]


def test_customers_hold_accounts_at_several_members(coalition: Path) -> None:
    def people(path: str) -> set[tuple[str, str, str]]:
        return {(r["full_name"], str(r["birth_date"]), str(r["email"])) for r in _kyc(coalition, path)}

    bank = people("bank_us/customers.csv") | people("bank_gb/customers.csv")
    p2p = people("p2p_app/users.csv")
    remitter = people("remitter/customers.csv")
    exchange = people("exchange/customers.csv")
    assert len(bank & p2p) > 10
    assert len(bank & remitter) > 5
    assert len(bank & exchange) > 1
    # The remitter pays out into PesoPocket wallets: its payout account is the wallet number.
    wallets = {r["wallet_no"] for r in _kyc(coalition, "ewallet_ph/wallets.csv")}
    transfers = _kyc(coalition, "remitter/transfers_p01.csv")
    payouts = {r["payout_account"] for r in transfers if r["payout_method"] == "wallet"}
    assert payouts and payouts <= wallets
    credits = _kyc(coalition, "ewallet_ph/transactions_p01.csv")
    linked = {r["partner_ref"] for r in credits if r["txn_type"] == "REMIT_IN" and r["partner"] == "GlobeSend"}
    assert linked and linked <= {r["transfer_id"] for r in transfers} | _later_transfers(coalition)


def _later_transfers(out: Path) -> set[str]:
    refs: set[str] = set()
    for path in sorted(out.glob("remitter/transfers_p*.csv")):
        refs |= {r["transfer_id"] for r in _kyc(out, str(path.relative_to(out)))}
    return refs


def test_exploitation_stays_a_small_minority(coalition: Path) -> None:
    manifest = _manifest(coalition)
    total = manifest["counts"]["transactions"]
    assert abs(total - N) / N < 0.02
    labels = pq.read_table(coalition / "labels" / "transactions.parquet").to_pylist()
    exploitation = sum(1 for r in labels if r["typology"] in EXPLOITATION)
    assert 0 < exploitation / total < 0.01


def test_manifest_lists_every_file_with_member_and_format(coalition: Path) -> None:
    manifest = _manifest(coalition)
    members = {m["member_id"] for m in manifest["members"]}
    kinds = {m["kind"] for m in manifest["members"]}
    assert {"bank", "card_network", "remitter", "p2p", "ewallet", "exchange", "internet"} <= kinds
    assert len([m for m in manifest["members"] if m["kind"] == "bank"]) >= 2
    formats = {f["format"] for f in manifest["files"]}
    assert formats == {"iso20022", "csv", "cards", "exchange", "bitcoin-etl", "sites"}
    for entry in manifest["files"]:
        assert entry["member_id"] in members
        assert (coalition / entry["path"]).is_file()
        assert entry["format"] != "csv" or entry.get("mapping")
    written = {str(p.relative_to(coalition)) for p in coalition.rglob("*") if p.is_file()}
    listed = {f["path"] for f in manifest["files"]}
    assert written - listed == {"manifest.json", "labels/accounts.parquet", "labels/transactions.parquet",
                                "labels/schemes.parquet"}


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path) -> None:
    generate(tmp_path / "a", 4000, seed=5)
    generate(tmp_path / "b", 4000, seed=5)
    generate(tmp_path / "c", 4000, seed=6)
    a, b, c = _digest(tmp_path / "a"), _digest(tmp_path / "b"), _digest(tmp_path / "c")
    assert a == b
    changed = [k for k in a if a[k] != c.get(k)]
    assert len(changed) >= len(a) - 2  # every data file differs


def test_refuses_a_folder_in_use_and_tiny_runs(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "keep.txt").write_text("mine")
    with pytest.raises(UserError):
        generate(tmp_path / "x", 5000, seed=1)
    with pytest.raises(UserError):
        generate(tmp_path / "y", 10, seed=1)


def test_cli_prints_counts_per_member_format_and_typology(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from moneytrail.cli import main

    with pytest.raises(SystemExit) as done:
        main(["synth", "--out", str(tmp_path / "cli"), "--transactions", "3000", "--seed", "2", "--json"])
    assert done.value.code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["transactions"] == sum(report["by_member"].values()) == sum(report["by_format"].values())
    assert set(report["by_format"]) == {"iso20022", "csv", "cards", "exchange", "bitcoin-etl"}
    assert {"lsac", "sextortion", "csam_crypto", "merchant_laundering", "trafficking"} <= set(report["by_typology"])
    with pytest.raises(SystemExit) as again:
        main(["synth", "--out", str(tmp_path / "cli"), "--transactions", "3000", "--seed", "2", "--json"])
    assert again.value.code == 2  # the folder is in use: one line, exit 2


def test_config_file_overrides_the_world(tmp_path: Path) -> None:
    config = tmp_path / "world.yaml"
    config.write_text("aml:\n  share: 0.02\ntypologies:\n  lsac: {share: 0.004, min_schemes: 2}\n")
    summary = generate(tmp_path / "more", 6000, seed=4, config=config)
    assert summary.schemes["lsac"] >= 2
    aml = sum(v for k, v in summary.by_typology.items() if k.startswith("aml_"))
    assert aml >= 0.02 * 6000 * 0.9
    with pytest.raises(UserError):
        generate(tmp_path / "none", 6000, seed=4, config=tmp_path / "missing.yaml")


def _unlabelled_remittance_payees(out: Path) -> tuple[dict[str, int], list[tuple[str, str, str]]]:
    """Labelled remittances checked (by payout method) and those whose payee is not labelled in the scheme: the
    payee by the identifier the remitter records, the payout account, or the receiver's phone for cash pickup."""
    labels = pq.read_table(out / "labels" / "transactions.parquet").to_pylist()
    refs = {r["source_ref"]: r["scheme_id"] for r in labels if r["member_id"] == "remitter"}
    labelled = {(r["scheme_id"], r["account"]) for r in pq.read_table(out / "labels" / "accounts.parquet").to_pylist()}
    checked, missing = {"cash_pickup": 0, "other": 0}, []
    text = {c: pa.string() for c in ("transfer_id", "payout_account", "receiver_phone", "payout_method")}
    for entry in _manifest(out)["files"]:
        if entry["member_id"] != "remitter" or "transfers" not in entry["path"]:
            continue
        rows = pacsv.read_csv(out / entry["path"], convert_options=pacsv.ConvertOptions(
            column_types=text, include_columns=list(text), strings_can_be_null=True)).to_pylist()
        for row in rows:
            scheme = refs.get(str(row["transfer_id"]))
            if scheme is None:
                continue
            payee = row["payout_account"] or row["receiver_phone"]
            checked["cash_pickup" if row["payout_method"] == "cash_pickup" else "other"] += 1
            if (scheme, payee) not in labelled:
                missing.append((scheme, row["payout_method"], payee))
    return checked, missing


def test_labelled_remittances_name_a_labelled_payee(coalition: Path, tmp_path: Path) -> None:
    checked, missing = _unlabelled_remittance_payees(coalition)
    assert checked["other"] > 0 and not missing, (checked, missing[:5])
    # outside the Philippines' wallets, the beneficiary often picks the money up in cash: known by phone only
    config = tmp_path / "world.yaml"
    config.write_text("typologies:\n  lsac: {share: 0.01, min_schemes: 3}\n"
                      "lsac:\n  corridors: {PH: 0, TH: 0, DO: 0, MX: 0, IN: 0, CO: 1.0}\n")
    generate(tmp_path / "cash", 6000, seed=5, config=config)
    checked, missing = _unlabelled_remittance_payees(tmp_path / "cash")
    assert checked["cash_pickup"] > 0 and not missing, (checked, missing[:5])


def test_every_extortion_mule_passes_on_what_victims_paid_it(tmp_path: Path) -> None:
    """Money is conserved: each mule a victim paid cashes out its share of what it got (rule 19's
    forwarding), not only the first mule of the victim's burst, and no mule sends on more than it got."""
    config = tmp_path / "world.yaml"  # long bursts by many victims over three mules: later payments reach other mules
    config.write_text("typologies:\n  sextortion: {share: 0.01, min_schemes: 3}\n"
                      "sextortion: {mules: [3, 3], victims: [8, 8], burst_payments: [6, 6],"
                      " direct_abroad_probability: 0}\n")
    out = tmp_path / "run"
    generate(out, 6000, seed=5, config=config)
    labelled = pq.read_table(out / "labels" / "transactions.parquet").to_pylist()
    extortion = {r["source_ref"] for r in labelled if r["member_id"] == "p2p_app" and r["typology"] == "sextortion"}
    roles_of: dict[str, set[str]] = {}
    for r in pq.read_table(out / "labels" / "accounts.parquet").to_pylist():
        if r["typology"] == "sextortion" and r["member_id"] == "p2p_app":
            roles_of.setdefault(r["account"], set()).add(r["role"])
    paid: dict[str, float] = {}
    cashed: dict[str, float] = {}
    for path in sorted((out / "p2p_app").glob("payments_*.csv")):
        for row in _csv(path):
            if row["payment_id"] not in extortion:
                continue
            sender, receiver = str(row["sender_user_id"]), str(row["receiver_user_id"])
            if row["type"] == "payment" and "victim" in roles_of.get(sender, set()) \
                    and "mule" in roles_of.get(receiver, set()):
                paid[receiver] = paid.get(receiver, 0.0) + float(row["amount"])
            elif row["type"] == "cash_out":
                cashed[sender] = cashed.get(sender, 0.0) + float(row["amount"])
    assert len(paid) >= 6, paid  # three schemes of three mules
    for mule, usd in paid.items():
        assert 0.5 * usd <= cashed.get(mule, 0.0) <= usd + 0.01, (mule, usd, cashed.get(mule))
