"""The HTTP edge: the Pandora wire format over FastAPI."""
