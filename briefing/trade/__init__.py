"""China–Russia trade figures: the model, the in-memory index and the queries built on it."""
