"""Service Quotas increase requests: `fields` (modal ids, Regions), `models` (values and how they read), `rules`
(the value rule, codes, type-ahead filter), `service` (the use cases)."""
