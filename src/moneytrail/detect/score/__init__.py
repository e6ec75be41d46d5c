"""The learned score: LightGBM over rule hits and graph features."""
