"""The signed login cookie: round trip; refused when forged, edited, signed with another key or expired."""

import pytest

from edge_api.auth import transaction
from edge_api.auth.transaction import TransactionError

KEY = transaction.signing_key("secret-a")


def test_round_trip_keeps_every_field() -> None:
    tx = transaction.new_transaction("http://localhost:3001/callback", now=1_000)
    assert transaction.decode(transaction.encode(tx, KEY), KEY, now=1_000) == tx
    assert 43 <= len(tx.verifier) <= 128  # RFC 7636 §4.1


@pytest.mark.parametrize(
    ("mutate", "now", "message"),
    [
        (lambda v: "", 1_000, "missing"),
        (lambda v: v.split(".")[0], 1_000, "not valid"),
        (lambda v: "x" + v, 1_000, "not valid"),
        (lambda v: v.replace(".", ".A", 1), 1_000, "not valid"),
        (lambda v: transaction.encode(transaction.new_transaction("http://x/", now=1_000), KEY).split(".")[0]
         + "." + v.split(".")[1], 1_000, "not valid"),  # another login's payload under this signature
        (lambda v: v, 1_000 + transaction.TTL_SECONDS, "too long"),
    ],
)  # fmt: skip
def test_refused(mutate: object, now: int, message: str) -> None:
    value = transaction.encode(transaction.new_transaction("http://localhost:3001/callback", now=1_000), KEY)
    with pytest.raises(TransactionError, match=message):
        transaction.decode(mutate(value), KEY, now=now)  # type: ignore[operator]


def test_another_secret_cannot_read_it() -> None:
    value = transaction.encode(transaction.new_transaction("http://localhost:3001/callback"), KEY)
    with pytest.raises(TransactionError, match="not valid"):
        transaction.decode(value, transaction.signing_key("secret-b"))
