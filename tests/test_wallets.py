"""Wallet addresses must pass their coin's checksum."""

import hashlib

from iocs import wallets


def test_bitcoin_reference_addresses():
    assert wallets.is_valid_btc("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa")  # genesis P2PKH
    assert wallets.is_valid_btc("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy")  # P2SH
    assert wallets.is_valid_btc("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq")  # bech32 v0
    assert wallets.is_valid_btc("bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297")  # bech32m v1
    assert not wallets.is_valid_btc("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdx")
    assert not wallets.is_valid_btc("bc1qAr0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq")  # mixed case


def test_encoders_round_trip():
    for i in range(50):
        payload = hashlib.sha256(str(i).encode()).digest()
        assert wallets.is_valid_btc(wallets.encode_base58check_btc(payload[:20]))
        assert wallets.is_valid_btc(wallets.encode_segwit(0, payload))
        assert wallets.is_valid_btc(wallets.encode_segwit(1, payload))
        xmr = wallets.encode_monero(18, payload, payload[::-1])
        assert len(xmr) == 95 and wallets.is_valid_xmr(xmr)
        broken = xmr[:-1] + ("1" if xmr[-1] != "1" else "2")
        assert not wallets.is_valid_xmr(broken)


def test_ethereum_eip55():
    assert wallets.is_valid_eth("0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359")
    assert wallets.is_valid_eth("0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359")
    assert not wallets.is_valid_eth("0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d35A")
    lower = "0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359"
    assert wallets.eip55_checksum(lower) == "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"
