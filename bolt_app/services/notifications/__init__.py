"""Case notifications: AWS Support "Support Case Update" events to channel threads, once each, filtered by each
channel's settings, read with each channel's own IAM role.

Two ways in, one path. `POST /aws/events` (an EventBridge API destination, per-account token) and the SQS
`worker` both call `NotificationService.ingest`; the `inbox` stores the event with one pending delivery per
channel configuration of its account (storage/notifications/). `reconcile` feeds what it finds through the same
inbox. The delivery loop (bolt_app/notifications_worker.py) leases channels and runs `delivery`, which walks a
channel's deliveries in order: read the case with that channel's role (`case_reading`), `planner` against what
the channel was already told, post through the `ChannelPosters` port (the Slack adapter, bolt_app/slack/delivery.py).

`events` parses, `events_tokens` issues the per-account tokens, `service` is the face the rest of the app uses.
"""
