"""Watchlists: a channel's counterparties, screened when added and again whenever a new
sanctions list version is loaded; what changed for them is alerted once per channel and list
version through the delivery ledger (docs/watchlists.md)."""
