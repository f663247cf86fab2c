"""The decision: the CONTRACT §2 rules over the checklist lines' results and the observed triggers."""
