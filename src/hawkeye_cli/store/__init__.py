"""The model store: the registry (models.yaml), model files on disk, downloads from the hub, and every location
hawkeye reads or writes. The only layer below the backends; only `hub` may use the network."""
