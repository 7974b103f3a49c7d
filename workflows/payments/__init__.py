"""Online payment of a dossier's fees on the DVCQG payment platform: the request opened at the fee step (its
link is an opaque token), each attempt (one MaThamChieu), every callback received with its verdict, the
e-receipt. The use cases that move the dossier (paying completes the fee step) are
`workflows/dossiers/payments.py`."""
