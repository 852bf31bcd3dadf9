"""One module per studio tab, in pipeline order; each exposes `build(studio, bar)`."""
