"""HTTP routes of the reference service (thin: validation and status codes; logic lives in modules)."""
