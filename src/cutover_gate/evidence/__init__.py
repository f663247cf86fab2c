"""What the run observed: step recording, the results per checklist line, the record across runs, the timeline."""
