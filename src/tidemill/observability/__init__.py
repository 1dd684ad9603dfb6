"""What the service tells its operators: Prometheus metrics and structured logs (issue 15)."""
