"""Case notifications: events tokens, ingested events, deliveries (event × channel), channel leases, the thread
state of each case in each channel, and reconciliation bookkeeping. The tables are in storage/tables.py.

Delivery protocol. An event is stored together with one `pending` delivery per channel configuration of its
account, in the transaction that claims its idempotency keys, so an acknowledged event is never lost. A process
leases a channel (`notification_channels`: claimed_by, lease_until; PostgreSQL picks rows with FOR UPDATE SKIP
LOCKED), then walks that channel's deliveries in order: `pending` → `posting` (claimed_by, lease_until) →
`posted` / `skipped` / `failed`. Every Slack write is recorded in `case_threads` right after Slack accepts it,
so re-running a delivery whose lease expired repeats only the writes that were not recorded yet.

Times are naive UTC, like every table of the app (storage/clock.py).
"""
