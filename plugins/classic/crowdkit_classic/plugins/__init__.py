"""Entry-point modules: one per strategy, each importing nothing heavier than crowdkit_core."""
