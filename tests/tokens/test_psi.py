"""Bilateral PSI between two members over a real local socket."""

from __future__ import annotations

import threading

from moneytrail.tokens.psi import listen, query, serve_once


def test_psi_finds_exactly_the_shared_accounts() -> None:
    bank = [f"44{n:08d}" for n in range(500)] + ["+639171234567", "GB82WEST12345698765432"]
    wallet = [f"+6391700{n:05d}" for n in range(300)] + ["+639171234567", "4400000007", "GB82WEST12345698765432"]
    listener = listen()
    port = listener.getsockname()[1]
    sizes: list[int] = []
    server = threading.Thread(target=lambda: sizes.append(serve_once(listener, bank)))
    server.start()
    shared = query("127.0.0.1", port, wallet)
    server.join(timeout=30)
    listener.close()
    assert shared == sorted(set(bank) & set(wallet))
    assert sizes == [len(wallet)]
