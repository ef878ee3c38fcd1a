"""The HTTP side beside Bolt: install pages, security headers, signed links, role templates, the events route."""
