"""Bundled data and its loaders: the GPU catalog and the model config.json catalog."""
