"""Executing batches: planning, the dispatcher, worker processes."""
