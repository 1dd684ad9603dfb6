"""SQL engine adapters. Each one turns its library's errors into ours at its boundary."""
