"""Sources: the files a datasource gives a batch (base: the contract; registry: by type)."""
