"""Pure logic shared by every layer: no I/O, clock, environment, database or engine here."""
