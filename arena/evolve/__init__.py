"""Evolution strategies with an ask/tell interface; all state is arrays and plain data."""
