"""Use cases of the batch API, shared by the HTTP API and the CLI. No HTTP and no SQL text."""
