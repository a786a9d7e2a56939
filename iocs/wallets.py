"""Checksum validation of cryptocurrency wallet addresses.

A string that merely looks like an address (a random base58 run, a hash prefixed with ``0x``) is
not published: every address must pass its coin's own checksum.

- BTC: base58check (P2PKH ``1…``, P2SH ``3…``) or SegWit bech32 / bech32m (``bc1…``, BIP-173/350).
- ETH: ``0x`` + 40 hex; a mixed-case address must pass EIP-55.
- XMR: Monero's block base58 with a Keccak-256 checksum (standard ``4…``, subaddress ``8…``,
  integrated ``4…`` of 106 characters).
"""

from __future__ import annotations

import re

import base58
from Crypto.Hash import keccak

#
# Bitcoin
#
_BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_CONST, _BECH32M_CONST = 1, 0x2BC830A3


def _bech32_polymod(values: list[int]) -> int:
    generator = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= generator[i] if ((top >> i) & 1) else 0
    return chk


def _bech32_hrp_expand(hrp: str) -> list[int]:
    return [ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp]


def is_valid_segwit(address: str, hrp: str = "bc") -> bool:
    """BIP-173 (witness v0, bech32) and BIP-350 (v1+, bech32m) mainnet addresses."""
    if address.lower() != address and address.upper() != address:
        return False  # mixed case is invalid in bech32
    addr = address.lower()
    pos = addr.rfind("1")
    if addr[:pos] != hrp or pos + 7 > len(addr) or len(addr) > 90:
        return False
    try:
        data = [_BECH32_CHARSET.index(c) for c in addr[pos + 1:]]
    except ValueError:
        return False
    const = _bech32_polymod(_bech32_hrp_expand(hrp) + data)
    witness_version = data[0]
    if witness_version == 0 and const != _BECH32_CONST:
        return False
    if witness_version > 0 and const != _BECH32M_CONST:
        return False
    program_len = (len(data) - 7) * 5 // 8  # 5-bit groups minus version and 6 checksum symbols
    if witness_version > 16 or not 2 <= program_len <= 40:
        return False
    return witness_version != 0 or program_len in (20, 32)


def is_valid_base58check_btc(address: str) -> bool:
    if not 25 <= len(address) <= 35 or address[0] not in "13":
        return False
    try:
        payload = base58.b58decode_check(address)
    except ValueError:
        return False
    return len(payload) == 21 and payload[0] in (0x00, 0x05)


def is_valid_btc(address: str) -> bool:
    if address[:3].lower() == "bc1":
        return is_valid_segwit(address)
    return is_valid_base58check_btc(address)


#
# Ethereum
#
_ETH_RE = re.compile(r"0x[0-9a-fA-F]{40}")


def keccak256(data: bytes) -> bytes:
    return keccak.new(digest_bits=256, data=data).digest()


def eip55_checksum(address: str) -> str:
    """The EIP-55 mixed-case form of a ``0x`` address."""
    hex_addr = address[2:].lower()
    digest = keccak256(hex_addr.encode()).hex()
    return "0x" + "".join(c.upper() if c.isalpha() and int(digest[i], 16) >= 8 else c for i, c in enumerate(hex_addr))


def is_valid_eth(address: str) -> bool:
    if not _ETH_RE.fullmatch(address):
        return False
    body = address[2:]
    if body == body.lower() or body == body.upper():
        return True  # no checksum carried
    return eip55_checksum(address) == address


#
# Monero
#
_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58_ALPHABET)}
_XMR_BLOCK_SIZES = {0: 0, 2: 1, 3: 2, 5: 3, 6: 4, 7: 5, 9: 6, 10: 7, 11: 8}  # chars -> bytes


def _monero_b58decode(text: str) -> bytes | None:
    out = bytearray()
    for start in range(0, len(text), 11):
        block = text[start:start + 11]
        size = _XMR_BLOCK_SIZES.get(len(block))
        if size is None:
            return None
        num = 0
        for c in block:
            idx = _B58_INDEX.get(c)
            if idx is None:
                return None
            num = num * 58 + idx
        if num >= 1 << (8 * size):
            return None
        out += num.to_bytes(size, "big")
    return bytes(out)


def is_valid_xmr(address: str) -> bool:
    """Mainnet standard (18), integrated (19) and subaddress (42) addresses with a valid checksum."""
    if len(address) not in (95, 106) or address[0] not in "48":
        return False
    raw = _monero_b58decode(address)
    if raw is None or len(raw) < 5:
        return False
    body, checksum = raw[:-4], raw[-4:]
    if keccak256(body)[:4] != checksum:
        return False
    return body[0] in (18, 19, 42)


#
# Encoders (demo data and tests build valid addresses from random keys)
#
def encode_base58check_btc(payload20: bytes, *, p2sh: bool = False) -> str:
    return base58.b58encode_check(bytes([0x05 if p2sh else 0x00]) + payload20).decode()


def _convertbits(data: bytes, frombits: int, tobits: int) -> list[int]:
    acc, bits, out, maxv = 0, 0, [], (1 << tobits) - 1
    for value in data:
        acc = (acc << frombits) | value
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            out.append((acc >> bits) & maxv)
    if bits:
        out.append((acc << (tobits - bits)) & maxv)
    return out


def encode_segwit(witness_version: int, program: bytes, hrp: str = "bc") -> str:
    data = [witness_version, *_convertbits(program, 8, 5)]
    const = _BECH32_CONST if witness_version == 0 else _BECH32M_CONST
    polymod = _bech32_polymod(_bech32_hrp_expand(hrp) + data + [0] * 6) ^ const
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_BECH32_CHARSET[d] for d in data + checksum)


_XMR_BYTES_TO_CHARS = {v: k for k, v in _XMR_BLOCK_SIZES.items()}


def encode_monero(network_byte: int, spend_key: bytes, view_key: bytes) -> str:
    body = bytes([network_byte]) + spend_key + view_key
    raw = body + keccak256(body)[:4]
    out = []
    for start in range(0, len(raw), 8):
        block = raw[start:start + 8]
        num = int.from_bytes(block, "big")
        chars = []
        for _ in range(_XMR_BYTES_TO_CHARS[len(block)]):
            num, rem = divmod(num, 58)
            chars.append(_B58_ALPHABET[rem])
        out.append("".join(reversed(chars)))
    return "".join(out)
